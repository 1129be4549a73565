/**
 * Wire encodings of the protocol messages: strict JSON for control messages and a binary frame for
 * masked vectors (version byte, width, length, SHA-256, words packed at the round's bits).
 *
 * <p>Decoders treat every input as hostile: unknown or missing fields, oversized values and
 * trailing data are refused with {@link org.fedsum.protocol.ErrorCode#MALFORMED_MESSAGE} before
 * anything is allocated in proportion to a declared length. Must not depend on Vert.x or DJL.
 */
package org.fedsum.protocol.codec;
