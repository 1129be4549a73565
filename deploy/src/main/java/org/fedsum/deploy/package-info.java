/**
 * The deployment artefacts live beside this module's sources, not in it: systemd units ({@code
 * deploy/systemd}), the FROM-scratch container files and their rootfs assembly ({@code
 * deploy/container}), the compose file ({@code deploy/compose}) and the aggregator's Helm chart
 * ({@code deploy/helm}). This module's tests check them and run the federation in containers
 * (deploy/README.md).
 *
 * <p>Holds no runtime code that other modules depend on.
 */
package org.fedsum.deploy;
