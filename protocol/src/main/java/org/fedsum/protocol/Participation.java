package org.fedsum.protocol;

import java.util.List;

/**
 * Who took part in each stage of a finished round: U1 (advertised keys), U2 (shared keys), U3 (sent
 * a masked input: the survivors), U4 (signed the survivor list), U5 (sent unmasking shares).
 */
public record Participation(
    List<String> advertised,
    List<String> shared,
    List<String> maskedInput,
    List<String> signed,
    List<String> unmasked) {

  public Participation {
    advertised = Immutables.sortedList(advertised);
    shared = Immutables.sortedList(shared);
    maskedInput = Immutables.sortedList(maskedInput);
    signed = Immutables.sortedList(signed);
    unmasked = Immutables.sortedList(unmasked);
  }

  /** Silos in U2 whose masked input never arrived: their masking keys were reconstructed. */
  public List<String> droppedAfterSharing() {
    return shared.stream().filter(silo -> !maskedInput.contains(silo)).toList();
  }
}
