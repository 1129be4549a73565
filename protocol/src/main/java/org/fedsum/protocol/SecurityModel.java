package org.fedsum.protocol;

/**
 * Which aggregator the threshold must withstand (DESIGN.md §1). With {@code c} colluding silos:
 * honest-but-curious needs {@code t > c}; an active aggregator that lies about dropouts needs
 * {@code t > (n + c) / 2} (Bonawitz et al. 2017, Theorems 6.2 and 6.4).
 */
public enum SecurityModel {
  HONEST_BUT_CURIOUS,
  ACTIVE_AGGREGATOR
}
