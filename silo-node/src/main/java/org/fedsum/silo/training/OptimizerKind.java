package org.fedsum.silo.training;

/** The local optimizers; the server-side optimizers (FedAvgM, FedAdam, ...) are separate. */
public enum OptimizerKind {
  /** Stochastic gradient descent, with heavy-ball momentum when the momentum is positive. */
  SGD,
  /** Adam (Kingma and Ba 2015) with β1 = 0.9, β2 = 0.999, ε = 1e-8. */
  ADAM
}
