/**
 * Server-side optimizers applied to the decoded aggregate of a round (DESIGN.md §8): FedAvg with a
 * server learning rate, FedAvgM (Hsu et al. 2019) and the adaptive FedAdagrad, FedAdam and FedYogi
 * (Reddi et al., ICLR 2021, Algorithm 2). A {@link org.fedsum.aggregator.strategy.ServerStrategy}
 * turns the global model and the survivors' average update into the next global model; its state
 * (momentum and second-moment vectors) is an immutable {@link
 * org.fedsum.aggregator.strategy.StrategyState} that encodes to bytes for the aggregator's
 * checkpoints.
 *
 * <p>Pure math: no I/O, no clocks, no Vert.x, no DJL; depends only on the JDK.
 */
package org.fedsum.aggregator.strategy;
