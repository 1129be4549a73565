/**
 * {@code fedsum privacy}: the ε a run would spend, by the protocol's two accountants ({@link
 * org.fedsum.protocol.privacy.PrivacyAccountant}), and the noise multiplier a target ε needs.
 */
package org.fedsum.cli.privacy;
