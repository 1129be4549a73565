/**
 * Runs the rounds of a federation run: feeds the pure {@link
 * org.fedsum.protocol.AggregatorProtocol} with the silos' messages and the stage deadlines, carries
 * out its actions (outboxes, the running sum of spooled masked vectors), unmasks and decodes the
 * sum, applies the server strategy, checkpoints the model and journals every state change.
 *
 * <p>No Vert.x and no HTTP: the transport ({@code org.fedsum.aggregator.http}) authenticates the
 * silos, decodes and spools their messages and calls {@link
 * org.fedsum.aggregator.round.RunCoordinator}; time and threads come in through {@link
 * org.fedsum.aggregator.round.Scheduler} and an {@link java.util.concurrent.Executor}, so tests
 * drive them by hand.
 */
package org.fedsum.aggregator.round;
