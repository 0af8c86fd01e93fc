#!/usr/bin/python3
"""Independent reference numbers for MemLens's probes (scikit-learn + numpy; run with /usr/bin/python3).

  reference-probe.py small OUT.json
      Generates a small seeded 3-class problem (iris-like: 4 features, overlapping classes), fits
      scikit-learn's LogisticRegression with the probe's objective and computes DINO-style weighted
      kNN predictions with numpy; writes data and reference results as a test fixture.
  reference-probe.py features DIR [--weight-decay L]
      Reads DIR/{train,test}-features.npy and DIR/{train,test}-labels.npy (as written by
      `memlens evaluate --export-features DIR`), fits the same logistic regression and prints
      {"accuracy", "iterations"} as JSON.

MemLens minimizes (1/n) sum CE + (L/2)||W||^2 on standardized features (bias not penalized);
scikit-learn minimizes C sum CE + (1/2)||W||^2, the same optimum for C = 1 / (L n).
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def fit(x_train, y_train, weight_decay):
    scaler = StandardScaler().fit(x_train)  # population std, as MemLens
    # newton-cg stops on the gradient; lbfgs here stops on scipy's relative-decrease test first,
    # ~1e-4 away from the optimum on the small problem.
    model = LogisticRegression(C=1.0 / (weight_decay * len(x_train)), solver="newton-cg", tol=1e-8, max_iter=10000)
    model.fit(scaler.transform(x_train), y_train)
    return scaler, model


def knn_predict(x_train, y_train, x_test, classes, k, temperature):
    a = x_train / np.linalg.norm(x_train, axis=1, keepdims=True)
    q = x_test / np.linalg.norm(x_test, axis=1, keepdims=True)
    sim = q @ a.T
    pred = []
    for row in sim:
        top = np.argsort(-row, kind="stable")[:k]
        votes = np.zeros(classes)
        np.add.at(votes, y_train[top], np.exp(row[top] / temperature))
        pred.append(int(np.argmax(votes)))
    return pred


def small(out):
    rng = np.random.default_rng(7)
    classes, dim = 3, 4
    centers = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.5, 2.0]])
    spread = np.array([0.5, 0.4, 0.6, 0.4])

    def draw(n):
        y = np.arange(n) % classes
        # Rounded as stored in the fixture, so the reference is fitted on exactly what TS reads.
        return np.round(centers[y] + rng.normal(size=(n, dim)) * spread, 6), y

    x_train, y_train = draw(60)
    x_test, y_test = draw(30)
    weight_decay = 1e-2
    scaler, model = fit(x_train, y_train, weight_decay)
    proba = model.predict_proba(scaler.transform(x_test))
    k, temperature = 5, 0.07
    doc = {
        "generator": "scripts/reference-probe.py small (numpy default_rng(7), scikit-learn LogisticRegression)",
        "classes": classes,
        "dim": dim,
        "train": {"x": x_train.tolist(), "y": y_train.tolist()},
        "test": {"x": x_test.tolist(), "y": y_test.tolist()},
        "linear": {
            "weightDecay": weight_decay,
            "mean": scaler.mean_.tolist(),
            "std": scaler.scale_.tolist(),
            "weights": model.coef_.tolist(),
            "bias": model.intercept_.tolist(),
            "testProbabilities": proba.tolist(),
            "testAccuracy": float((proba.argmax(1) == y_test).mean()),
        },
        "knn": {
            "k": k,
            "temperature": temperature,
            "testPredictions": knn_predict(x_train, y_train, x_test, classes, k, temperature),
        },
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def features(folder, weight_decay):
    load = lambda name: np.load(f"{folder}/{name}.npy")
    x_train, y_train = load("train-features").astype(np.float64), load("train-labels")
    x_test, y_test = load("test-features").astype(np.float64), load("test-labels")
    scaler, model = fit(x_train, y_train, weight_decay)
    accuracy = float((model.predict(scaler.transform(x_test)) == y_test).mean())
    print(json.dumps({"accuracy": accuracy, "iterations": int(model.n_iter_[0]), "weightDecay": weight_decay,
                      "train": len(x_train), "test": len(x_test), "dim": x_train.shape[1]}))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "small":
        small(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "features":
        wd = float(sys.argv[sys.argv.index("--weight-decay") + 1]) if "--weight-decay" in sys.argv else 1e-4
        features(sys.argv[2], wd)
    else:
        sys.exit(__doc__)
