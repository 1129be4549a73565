/**
 * Local datasets of a silo: the in-memory {@link org.fedsum.silo.data.LabeledDataset}, its loaders
 * (CSV with a label column, IDX images and labels, the FedProx synthetic generator), locally fitted
 * feature scaling, and the partitioners that split one dataset into silos for simulations.
 *
 * <p>Bad input fails with the checked {@link org.fedsum.silo.data.DatasetFormatException}, whose
 * message names the file and the line, record or column at fault. Every random choice takes an
 * explicit seed. This package must not depend on DJL (training lives in {@code
 * org.fedsum.silo.training}), on the protocol or on any transport code: raw data stays plain Java
 * arrays here.
 */
package org.fedsum.silo.data;
