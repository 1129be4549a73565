package org.fedsum.crypto.internal;

import java.security.Provider;
import org.conscrypt.Conscrypt;

/**
 * The process-wide Conscrypt provider (BoringSSL through JNI), created once and never installed in
 * {@code java.security}: a private provider keeps Conscrypt out of every other JCA lookup in the
 * process. {@link #INSTANCE} is null where the native library cannot load (an unsupported platform
 * or libc); callers then fall back to the JDK or Bouncy Castle.
 */
final class ConscryptProvider {
  static final Provider INSTANCE = load();

  private ConscryptProvider() {}

  private static Provider load() {
    try {
      // isAvailable() loads the native library.
      return Conscrypt.isAvailable() ? Conscrypt.newProvider() : null;
    } catch (LinkageError | RuntimeException e) {
      return null;
    }
  }
}
