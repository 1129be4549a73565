/**
 * Deployment artefacts and their tests (to come with their issue): systemd units, container files,
 * the Helm chart.
 *
 * <p>Holds no runtime code that other modules depend on.
 */
package org.fedsum.deploy;
