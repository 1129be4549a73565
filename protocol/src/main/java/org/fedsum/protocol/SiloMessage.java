package org.fedsum.protocol;

/** A message a silo sends to the aggregator. Each belongs to exactly one {@link Stage}. */
public sealed interface SiloMessage
    permits AdvertiseKeys, EncryptedShares, MaskedInput, ConsistencySignature, UnmaskShares {
  /** The sender, as the transport authenticated it. */
  String siloId();

  long round();

  /** The stage in which this message is valid. */
  Stage stage();
}
