package org.fedsum.silo.training;

/** The model families a silo can train; see {@link ModelSpec} for their exact layers. */
public enum ModelKind {
  /** Multinomial logistic regression: one fully connected layer, softmax in the loss. */
  LOGISTIC_REGRESSION,
  /** A multilayer perceptron with ReLU hidden layers of configurable sizes. */
  MULTILAYER_PERCEPTRON,
  /** The small convolutional network NIID-Bench uses for (Fashion-)MNIST and CIFAR-10. */
  SMALL_CNN
}
