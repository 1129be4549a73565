package org.fedsum.silo.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Splits one dataset into silos for simulations, following the partitioning strategies of Li, Diao,
 * Chen and He, "Federated Learning on Non-IID Data Silos: An Experimental Study" (NIID-Bench, ICDE
 * 2022), §4. Every strategy assigns every example to exactly one silo and is a pure function of its
 * arguments and the seed.
 *
 * <ul>
 *   <li>{@link #iid}: a random shuffle cut into near-equal parts (sizes differ by at most one);
 *   <li>{@link #dirichletLabelSkew}: for each label, the silos' shares of its examples are drawn
 *       from Dirichlet(β); small β gives each silo few labels;
 *   <li>{@link #classesPerSilo}: "#C = k", each silo holds examples of exactly {@code k} distinct
 *       labels;
 *   <li>{@link #quantitySkew}: silo sizes are drawn from Dirichlet(β), labels stay IID.
 * </ul>
 */
public final class Partitioner {
  /** NIID-Bench redraws until every silo has at least this many examples (when data allow). */
  private static final int MINIMUM_SILO_SIZE = 10;

  private static final int MAX_DRAWS = 1000;

  private Partitioner() {}

  /** Shuffles the examples and cuts them into {@code silos} parts whose sizes differ by ≤ 1. */
  public static Partition iid(LabeledDataset dataset, int silos, long seed) {
    checkSilos(dataset, silos);
    int n = dataset.size();
    int[] order = RandomStreams.permutation(n, RandomStreams.derive(seed, "partition-iid", n));
    int[][] parts = new int[silos][];
    int start = 0;
    for (int silo = 0; silo < silos; silo++) {
      // numpy.array_split: the first n % silos parts get one example more.
      int size = n / silos + (silo < n % silos ? 1 : 0);
      parts[silo] = Arrays.copyOfRange(order, start, start + size);
      start += size;
    }
    return Partition.of(n, parts);
  }

  /**
   * Label skew by Dirichlet(β) (NIID-Bench's {@code noniid-labeldir}): for each label, its examples
   * are shuffled and split among the silos in proportions drawn from a symmetric Dirichlet(β); a
   * silo that already holds its even share {@code n / silos} takes no more. The draw is repeated
   * until every silo has at least {@code min(10, max(1, n / (10 · silos)))} examples.
   *
   * @param beta the concentration, finite and positive; 0.5 is NIID-Bench's default, smaller is
   *     more skewed
   * @throws IllegalArgumentException if no draw out of 1000 gives every silo enough examples
   */
  public static Partition dirichletLabelSkew(
      LabeledDataset dataset, int silos, double beta, long seed) {
    checkSilos(dataset, silos);
    checkConcentration(beta);
    int n = dataset.size();
    int minimum = minimumSiloSize(n, silos);
    int[][] byLabel = indicesByLabel(dataset);
    SplittableRandom random = RandomStreams.derive(seed, "partition-dirichlet-label", n);
    for (int draw = 0; draw < MAX_DRAWS; draw++) {
      List<IntList> parts = newParts(silos);
      for (int[] labelIndices : byLabel) {
        if (labelIndices.length == 0) {
          continue;
        }
        int[] shuffled = labelIndices.clone();
        RandomStreams.shuffle(shuffled, random);
        double[] proportions = RandomStreams.symmetricDirichlet(silos, beta, random);
        double sum = 0;
        for (int silo = 0; silo < silos; silo++) {
          // "len(idx_j) < N / n_parties", exactly, in integers.
          if ((long) parts.get(silo).size() * silos >= n) {
            proportions[silo] = 0;
          }
          sum += proportions[silo];
        }
        for (int silo = 0; silo < silos; silo++) {
          proportions[silo] /= sum;
        }
        splitByProportions(shuffled, proportions, parts);
      }
      if (parts.stream().mapToInt(IntList::size).min().orElseThrow() >= minimum) {
        return toPartition(n, parts);
      }
    }
    throw new IllegalArgumentException(
        "no Dirichlet("
            + beta
            + ") label split out of "
            + MAX_DRAWS
            + " gave each of "
            + silos
            + " silos at least "
            + minimum
            + " of the "
            + n
            + " examples; use a larger beta or fewer silos");
  }

  /**
   * "#C = k" label skew (NIID-Bench's {@code noniid-#label{k}}): each silo owns exactly {@code
   * classesPerSilo} distinct labels, and each label's examples are shuffled and split evenly among
   * the silos that own it.
   *
   * <p>As in NIID-Bench, silo {@code i} first owns label {@code i mod K} and then draws further
   * distinct labels uniformly at random ({@code K} = the labels present in the data). NIID-Bench
   * drops the examples of a label nobody drew; here, so that every example is assigned, such a
   * label replaces, in a random silo, a label owned by at least two silos (one always exists while
   * {@code silos · k ≥ K}).
   *
   * @throws IllegalArgumentException if {@code classesPerSilo} is not in {@code [1, K]}, if {@code
   *     silos · classesPerSilo < K} (some label could not be assigned), or if a label has fewer
   *     examples than owners (an owner would get none of it)
   */
  public static Partition classesPerSilo(
      LabeledDataset dataset, int silos, int classesPerSilo, long seed) {
    checkSilos(dataset, silos);
    int n = dataset.size();
    int[][] byLabel = indicesByLabel(dataset);
    int[] present = presentLabels(byLabel);
    int labelCount = present.length;
    if (classesPerSilo < 1 || classesPerSilo > labelCount) {
      throw new IllegalArgumentException(
          "classesPerSilo must be in [1, "
              + labelCount
              + "] (the labels present), not "
              + classesPerSilo);
    }
    if ((long) silos * classesPerSilo < labelCount) {
      throw new IllegalArgumentException(
          silos
              + " silos × "
              + classesPerSilo
              + " classes cannot cover the "
              + labelCount
              + " labels present, so some examples could not be assigned");
    }
    SplittableRandom random = RandomStreams.derive(seed, "partition-classes-per-silo", n);
    // owned[silo] holds positions in present[], not labels.
    int[][] owned = new int[silos][classesPerSilo];
    for (int silo = 0; silo < silos; silo++) {
      owned[silo][0] = silo % labelCount;
      int drawn = 1;
      while (drawn < classesPerSilo) {
        int candidate = random.nextInt(labelCount);
        if (!contains(owned[silo], drawn, candidate)) {
          owned[silo][drawn++] = candidate;
        }
      }
    }
    repairCoverage(owned, labelCount, random);

    List<List<Integer>> owners = new ArrayList<>();
    for (int position = 0; position < labelCount; position++) {
      owners.add(new ArrayList<>());
    }
    for (int silo = 0; silo < silos; silo++) {
      for (int position : owned[silo]) {
        owners.get(position).add(silo);
      }
    }
    List<IntList> parts = newParts(silos);
    for (int position = 0; position < labelCount; position++) {
      int label = present[position];
      int[] shuffled = byLabel[label].clone();
      List<Integer> labelOwners = owners.get(position);
      if (shuffled.length < labelOwners.size()) {
        throw new IllegalArgumentException(
            "label "
                + label
                + " has "
                + shuffled.length
                + " examples but "
                + labelOwners.size()
                + " silos own it; each needs at least one");
      }
      RandomStreams.shuffle(shuffled, random);
      int start = 0;
      for (int k = 0; k < labelOwners.size(); k++) {
        int size =
            shuffled.length / labelOwners.size()
                + (k < shuffled.length % labelOwners.size() ? 1 : 0);
        IntList part = parts.get(labelOwners.get(k));
        for (int i = start; i < start + size; i++) {
          part.add(shuffled[i]);
        }
        start += size;
      }
    }
    return toPartition(n, parts);
  }

  /**
   * Quantity skew (NIID-Bench's {@code iid-diff-quantity}): silo sizes are proportions drawn from a
   * symmetric Dirichlet(β), redrawn until every silo has at least {@code min(10, max(1, n / (10 ·
   * silos)))} examples; the examples are shuffled first, so each silo's labels are IID.
   *
   * @throws IllegalArgumentException if no draw out of 1000 gives every silo enough examples
   */
  public static Partition quantitySkew(LabeledDataset dataset, int silos, double beta, long seed) {
    checkSilos(dataset, silos);
    checkConcentration(beta);
    int n = dataset.size();
    int minimum = minimumSiloSize(n, silos);
    SplittableRandom random = RandomStreams.derive(seed, "partition-quantity", n);
    int[] order = RandomStreams.permutation(n, random);
    for (int draw = 0; draw < MAX_DRAWS; draw++) {
      double[] proportions = RandomStreams.symmetricDirichlet(silos, beta, random);
      List<IntList> parts = newParts(silos);
      splitByProportions(order, proportions, parts);
      if (parts.stream().mapToInt(IntList::size).min().orElseThrow() >= minimum) {
        return toPartition(n, parts);
      }
    }
    throw new IllegalArgumentException(
        "no Dirichlet("
            + beta
            + ") size split out of "
            + MAX_DRAWS
            + " gave each of "
            + silos
            + " silos at least "
            + minimum
            + " of the "
            + n
            + " examples; use a larger beta or fewer silos");
  }

  private static void checkSilos(LabeledDataset dataset, int silos) {
    Objects.requireNonNull(dataset, "dataset");
    if (silos < 1) {
      throw new IllegalArgumentException("silos must be at least 1, not " + silos);
    }
    if (dataset.size() < silos) {
      throw new IllegalArgumentException(
          "cannot give each of " + silos + " silos an example of " + dataset.size());
    }
  }

  /**
   * NIID-Bench's 10, lowered for small data to a tenth of the even share (at least 1): a Dirichlet
   * draw rarely gives every one of many silos close to its even share, so a higher bar could fail a
   * thousand draws in a row.
   */
  private static int minimumSiloSize(int n, int silos) {
    return (int) Math.min(MINIMUM_SILO_SIZE, Math.max(1, n / (10L * silos)));
  }

  private static void checkConcentration(double beta) {
    if (!(Double.isFinite(beta) && beta > 0)) {
      throw new IllegalArgumentException("beta must be finite and positive, not " + beta);
    }
  }

  private static int[][] indicesByLabel(LabeledDataset dataset) {
    int[] counts = dataset.labelCounts();
    int[][] byLabel = new int[counts.length][];
    for (int label = 0; label < counts.length; label++) {
      byLabel[label] = new int[counts[label]];
    }
    int[] filled = new int[counts.length];
    for (int i = 0; i < dataset.size(); i++) {
      int label = dataset.label(i);
      byLabel[label][filled[label]++] = i;
    }
    return byLabel;
  }

  private static int[] presentLabels(int[][] byLabel) {
    IntList present = new IntList();
    for (int label = 0; label < byLabel.length; label++) {
      if (byLabel[label].length > 0) {
        present.add(label);
      }
    }
    return present.toArray();
  }

  private static boolean contains(int[] values, int length, int value) {
    for (int i = 0; i < length; i++) {
      if (values[i] == value) {
        return true;
      }
    }
    return false;
  }

  /** Gives every unowned label to a random silo in place of one of its labels owned twice. */
  private static void repairCoverage(int[][] owned, int labelCount, SplittableRandom random) {
    int[] ownerCounts = new int[labelCount];
    for (int[] labels : owned) {
      for (int position : labels) {
        ownerCounts[position]++;
      }
    }
    for (int missing = 0; missing < labelCount; missing++) {
      if (ownerCounts[missing] > 0) {
        continue;
      }
      // Candidates (silo, slot) whose label has another owner; pigeonhole: silos · k ≥ K and a
      // label is unowned, so some label is owned at least twice.
      List<int[]> candidates = new ArrayList<>();
      for (int silo = 0; silo < owned.length; silo++) {
        for (int slot = 0; slot < owned[silo].length; slot++) {
          if (ownerCounts[owned[silo][slot]] >= 2) {
            candidates.add(new int[] {silo, slot});
          }
        }
      }
      int[] chosen = candidates.get(random.nextInt(candidates.size()));
      ownerCounts[owned[chosen[0]][chosen[1]]]--;
      owned[chosen[0]][chosen[1]] = missing;
      ownerCounts[missing]++;
    }
  }

  /**
   * NIID-Bench's cut: boundaries at {@code floor(cumsum(p) · len)}, the last part takes the rest.
   */
  private static void splitByProportions(int[] indices, double[] proportions, List<IntList> parts) {
    double cumulative = 0;
    int start = 0;
    for (int silo = 0; silo < parts.size(); silo++) {
      int end;
      if (silo == parts.size() - 1) {
        end = indices.length;
      } else {
        cumulative += proportions[silo];
        end = Math.max(start, Math.min(indices.length, (int) (cumulative * indices.length)));
      }
      IntList part = parts.get(silo);
      for (int i = start; i < end; i++) {
        part.add(indices[i]);
      }
      start = end;
    }
  }

  private static List<IntList> newParts(int silos) {
    List<IntList> parts = new ArrayList<>(silos);
    for (int silo = 0; silo < silos; silo++) {
      parts.add(new IntList());
    }
    return parts;
  }

  private static Partition toPartition(int n, List<IntList> parts) {
    int[][] indices = new int[parts.size()][];
    for (int silo = 0; silo < parts.size(); silo++) {
      indices[silo] = parts.get(silo).toArray();
    }
    return Partition.of(n, indices);
  }

  private static final class IntList {
    private int[] values = new int[16];
    private int size;

    void add(int value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    int size() {
      return size;
    }

    int[] toArray() {
      return Arrays.copyOf(values, size);
    }
  }
}
