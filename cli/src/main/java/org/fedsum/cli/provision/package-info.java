/**
 * {@code fedsum provision}: a federation CA and one startup kit per site, from a {@code
 * federation.yaml}; revocation and new sites later (README.md, "Real deployment").
 *
 * <p>Layout of the output folder, relied on by deploy/ and the tests: {@code ca/} holds the CA's
 * certificate, its private key (mode 0600, never copied into a kit), the current CRL, the
 * federation description and every certificate issued; each site's kit {@code <site-id>/} holds
 * {@code ca.pem}, {@code crl.pem}, {@code site.pem}, {@code site.key} (PKCS#8, mode 0600), one
 * configuration file ({@code aggregator.yaml}, {@code silo.yaml} or {@code operator.yaml}, every
 * path in it relative to the kit) and an executable {@code start.sh}.
 */
package org.fedsum.cli.provision;
