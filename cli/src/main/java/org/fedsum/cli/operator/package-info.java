/**
 * {@code fedsum operator}: the operator API (docs/API.md) over mutual TLS with an operator kit:
 * submit, start, pause, resume, stop and watch runs, download models and journals, read the
 * aggregator's health and metrics.
 */
package org.fedsum.cli.operator;
