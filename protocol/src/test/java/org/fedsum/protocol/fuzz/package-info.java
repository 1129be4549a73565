/**
 * Fuzzing of the protocol module's decoders with jqwik-generated inputs: mutations of valid
 * encodings and random bytes, each decode ending in a value or a typed refusal within a time bound.
 * Test code only; depends on the protocol's public decoders and nothing of the services.
 */
package org.fedsum.protocol.fuzz;
