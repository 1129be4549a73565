package org.fedsum.protocol;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/** Sorted, unmodifiable copies: state records iterate in a fixed order so runs are reproducible. */
final class Immutables {
  private Immutables() {}

  static <V> SortedMap<String, V> sortedMap(Map<String, V> map) {
    return Collections.unmodifiableSortedMap(new TreeMap<>(map));
  }

  static <V> SortedMap<String, V> with(Map<String, V> map, String key, V value) {
    TreeMap<String, V> copy = new TreeMap<>(map);
    copy.put(key, value);
    return Collections.unmodifiableSortedMap(copy);
  }

  static SortedSet<String> sortedSet(Collection<String> values) {
    return Collections.unmodifiableSortedSet(new TreeSet<>(values));
  }

  static List<String> sortedList(Collection<String> values) {
    List<String> list = new ArrayList<>(new TreeSet<>(values));
    return Collections.unmodifiableList(list);
  }
}
