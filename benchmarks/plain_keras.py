"""A plain Keras training script: what the benchmarks compare bench against.

Written the way the seed homework trains (``model.fit(x, y)`` on NumPy
arrays), or, with ``--pipeline tfdata``, the way a careful person hand-tunes
the input (``tf.data``: cache, shuffle, batch, prefetch).  It reads prepared
arrays from an ``.npz`` (so data preparation is identical for every
contender) and prints one JSON line: fit time, steady-state epoch time,
accuracy.

    python benchmarks/plain_keras.py DATA.npz --model cifar --epochs 5 --pipeline numpy
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

STARTED = time.perf_counter()


def build(kind: str, input_shape: tuple, classes: int, activation: str, dropout: float):  # type: ignore[no-untyped-def]
    """The same architectures bench's ``cnn`` family builds from benchmarks' suites."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = inputs
    blocks = [(32, 2), (64, 2)] if kind == "cifar" else [(16, 1), (32, 1)]
    for filters, convs in blocks:
        for _ in range(convs):
            x = layers.Conv2D(filters, 3, padding="same")(x)
            x = layers.Activation(activation)(x)
        x = layers.MaxPooling2D(2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(512 if kind == "cifar" else 64, activation=activation)(x)
    x = layers.Dropout(0.5 if kind == "cifar" else 0.25)(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--model", choices=("cifar", "small"), default="cifar")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--dropout", type=float, default=0.25)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--pipeline", choices=("numpy", "tfdata"), default="numpy")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    imported = time.perf_counter()
    keras.utils.set_random_seed(args.seed)
    with np.load(args.data) as data:
        x_train, y_train = data["x_train"], data["y_train"]
        x_val, y_val = data["x_val"], data["y_val"]
        x_test, y_test = data["x_test"], data["y_test"]
    classes = int(max(y_train.max(), y_test.max())) + 1
    model = build(args.model, x_train.shape[1:], classes, args.activation, args.dropout)
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    epoch_ends: list[float] = []
    epoch_cpu: list[float] = []

    def mark(*_: object) -> None:
        epoch_ends.append(time.perf_counter())
        epoch_cpu.append(time.process_time())  # CPU seconds: less swayed by others' load

    timer = keras.callbacks.LambdaCallback(on_epoch_end=mark)

    started = time.perf_counter()
    if args.pipeline == "numpy":
        model.fit(
            x_train,
            y_train,
            batch_size=args.batch_size,
            epochs=args.epochs,
            validation_data=(x_val, y_val),
            callbacks=[timer],
            verbose=0,
        )
    else:

        def pipeline(x, y, shuffle):  # type: ignore[no-untyped-def]
            dataset = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int64))).cache()
            if shuffle:
                dataset = dataset.shuffle(len(x), seed=args.seed, reshuffle_each_iteration=True)
            return dataset.batch(args.batch_size).prefetch(tf.data.AUTOTUNE)

        model.fit(
            pipeline(x_train, y_train, True),
            validation_data=pipeline(x_val, y_val, False),
            epochs=args.epochs,
            callbacks=[timer],
            verbose=0,
        )
    fit_seconds = time.perf_counter() - started
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    steady = (epoch_ends[-1] - epoch_ends[0]) / (len(epoch_ends) - 1)
    steady_cpu = (epoch_cpu[-1] - epoch_cpu[0]) / (len(epoch_cpu) - 1)
    print(
        json.dumps(
            {
                "contender": f"plain-{args.pipeline}",
                "train_images": len(x_train),
                "epochs": args.epochs,
                "fit_seconds": fit_seconds,
                "steady_epoch_seconds": steady,
                "steady_epoch_cpu_seconds": steady_cpu,
                "accuracy": float(accuracy),
                "import_seconds": imported - STARTED,
                "process_seconds": time.perf_counter() - STARTED,
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
