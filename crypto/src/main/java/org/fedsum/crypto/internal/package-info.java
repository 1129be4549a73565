/**
 * Provider glue: the only place in FedSum that touches Bouncy Castle or Conscrypt classes.
 *
 * <p>Nothing outside {@code org.fedsum.crypto} may use this package; its types never appear in the
 * public API.
 */
package org.fedsum.crypto.internal;
