"""A plain Keras SSD training script: what the detection benchmark compares bench against.

Written the way one trains a small SSD by hand: the network (VGG-style blocks, two
backbone maps and one extra map, 3×3 class and box heads) and the MultiBox loss with
3:1 hard-negative mining spelled out in Keras, ``model.fit`` on NumPy arrays (or, with
``--pipeline tfdata``, a hand-tuned ``tf.data`` input).  It reads the images and the
already matched and encoded targets from an ``.npz`` (so every contender fits the same
arrays) and prints one JSON line: fit time and steady-state epoch time.  It imports
nothing from bench.

    python benchmarks/plain_keras_ssd.py DATA.npz --epochs 3 --pipeline numpy
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

STARTED = time.perf_counter()
#: (filters, convolutions, pool first) per block; blocks 2 and 3 feed heads, then one extra map
BLOCKS = [(16, 1, False), (32, 1, True), (48, 2, True), (64, 1, True)]
BOXES_PER_CELL = 4  # aspect ratios 1, 1/2, 1/3 and the extra square


def build(input_shape: tuple, classes: int):  # type: ignore[no-untyped-def]
    import keras
    from keras import layers

    def conv(x, filters, kernel, stride=1):  # type: ignore[no-untyped-def]
        x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        return layers.Activation("relu")(x)

    inputs = keras.Input(shape=input_shape)
    x, features = inputs, []
    for index, (filters, convs, pool) in enumerate(BLOCKS):
        if pool:
            x = layers.MaxPooling2D(2, padding="same")(x)
        for _ in range(convs):
            x = conv(x, filters, 3)
        if index >= 2:
            features.append(x)
    x = conv(x, 32, 1)
    features.append(conv(x, 64, 3, stride=2))
    scores, offsets = [], []
    for feature in features:
        s = layers.Conv2D(BOXES_PER_CELL * (classes + 1), 3, padding="same")(feature)
        o = layers.Conv2D(BOXES_PER_CELL * 4, 3, padding="same")(feature)
        scores.append(layers.Reshape((-1, classes + 1))(s))
        offsets.append(layers.Reshape((-1, 4))(o))
    outputs = layers.Concatenate(axis=-1)([layers.Concatenate(axis=1)(scores), layers.Concatenate(axis=1)(offsets)])
    return keras.Model(inputs, outputs)


def multibox_loss(classes: int):  # type: ignore[no-untyped-def]
    import keras
    from keras import ops

    def loss(y_true, y_pred):  # type: ignore[no-untyped-def]
        labels = ops.cast(y_true[..., 0], "int32")
        positive = ops.cast(labels > 0, "float32")
        ce = keras.losses.sparse_categorical_crossentropy(labels, y_pred[..., : classes + 1], from_logits=True)
        diff = ops.abs(y_true[..., 1:] - y_pred[..., classes + 1 :])
        smooth = ops.sum(ops.where(diff < 1.0, 0.5 * diff**2, diff - 0.5), axis=-1)
        positives = ops.sum(positive, axis=-1)
        rank = ops.argsort(ops.argsort(-ops.where(labels > 0, -1.0, ce), axis=-1), axis=-1)
        limit = ops.minimum(3.0 * positives, ops.cast(ops.shape(labels)[-1], "float32") - positives)
        negative = ops.cast(ops.cast(rank, "float32") < limit[:, None], "float32") * (1.0 - positive)
        per_image = ops.sum(ce * (positive + negative), axis=-1) + ops.sum(smooth * positive, axis=-1)
        return per_image * ops.cast(ops.shape(labels)[0], "float32") / ops.maximum(ops.sum(positives), 1.0)

    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--pipeline", choices=("numpy", "tfdata"), default="numpy")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    with np.load(args.data) as data:
        x_train, y_train = data["x_train"], data["y_train"]
    model = build(x_train.shape[1:], args.classes)
    if model.output_shape[1] != y_train.shape[1]:
        raise SystemExit(f"the network has {model.output_shape[1]} default boxes, the targets {y_train.shape[1]}")
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss=multibox_loss(args.classes))
    epoch_ends: list[float] = []
    epoch_cpu: list[float] = []

    def mark(*_: object) -> None:
        epoch_ends.append(time.perf_counter())
        epoch_cpu.append(time.process_time())

    timer = keras.callbacks.LambdaCallback(on_epoch_end=mark)
    started = time.perf_counter()
    if args.pipeline == "numpy":
        history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, callbacks=[timer],
                            verbose=0)  # fmt: skip
    else:
        dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).cache()
        dataset = dataset.shuffle(len(x_train), seed=args.seed, reshuffle_each_iteration=True)
        history = model.fit(dataset.batch(args.batch_size).prefetch(tf.data.AUTOTUNE), epochs=args.epochs,
                            callbacks=[timer], verbose=0)  # fmt: skip
    fit_seconds = time.perf_counter() - started
    print(json.dumps({
        "contender": f"plain-{args.pipeline}",
        "train_images": len(x_train),
        "epochs": args.epochs,
        "fit_seconds": fit_seconds,
        "steady_epoch_seconds": (epoch_ends[-1] - epoch_ends[0]) / (len(epoch_ends) - 1),
        "steady_epoch_cpu_seconds": (epoch_cpu[-1] - epoch_cpu[0]) / (len(epoch_cpu) - 1),
        "final_loss": float(history.history["loss"][-1]),
        "process_seconds": time.perf_counter() - STARTED,
    }))  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
