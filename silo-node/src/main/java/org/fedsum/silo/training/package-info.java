/**
 * Local training with DJL on the PyTorch engine: the models of a {@link
 * org.fedsum.silo.training.ModelSpec} (logistic regression, a multilayer perceptron, NIID-Bench's
 * small CNN), the {@link org.fedsum.silo.training.LocalModel} that trains and evaluates them with
 * SGD or Adam and FedProx's proximal term, optionally with DP-SGD ({@link
 * org.fedsum.silo.training.RecordLevelDp}: Poisson sampling, per-example clipping, Gaussian noise),
 * and progress reporting.
 *
 * <p><b>Flat parameter order</b> (what the encoder and the aggregator see): the tensors of the
 * block's parameter list, layer by layer from input to output, each layer's weight before its bias,
 * each tensor in row-major order. Fully connected weights are {@code [outputs, inputs]},
 * convolution weights {@code [outputChannels, inputChannels, 5, 5]}. For the CNN on 1 × 28 × 28
 * input: {@code 01Conv2d_weight [6,1,5,5]}, {@code 01Conv2d_bias [6]}, {@code 04Conv2d_weight
 * [16,6,5,5]}, {@code 04Conv2d_bias [16]}, {@code 08Linear_weight [120,256]}, {@code 08Linear_bias
 * [120]}, {@code 10Linear_weight [84,120]}, {@code 10Linear_bias [84]}, {@code 12Linear_weight
 * [10,84]}, {@code 12Linear_bias [10]}: 44,426 floats. docs/TRAINING.md lists every kind.
 *
 * <p>This is the only package of the silo node that may use DJL; it reads data through {@code
 * org.fedsum.silo.data} and must not depend on transport, protocol state or cryptography.
 */
package org.fedsum.silo.training;
