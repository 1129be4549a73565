/**
 * {@code fedsum audit report}: one run rendered from its audited journals as JSON and as a
 * self-contained HTML page (inline SVG charts, no script, a strict Content-Security-Policy,
 * printable). The HTML is rendered from the JSON document, so both always hold the same figures.
 *
 * <p>Depends on the audit's facts and the protocol's accountant only; no template engine, no
 * browser library.
 */
package org.fedsum.audit.report;
