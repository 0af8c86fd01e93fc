#!/usr/bin/python3
"""Python side of the ONNX codec benchmark (scripts/bench/onnx-codec.js runs it).

  onnx-codec.py generate PATH      export a ResNet-50-sized model (torchvision resnet50, seeded random
                                   weights, opset 13, ~100 MB) to PATH
  onnx-codec.py measure IN OUT     onnx.load(IN) then onnx.save(OUT); prints {"load_s", "save_s"} as JSON
"""
import json
import sys
import time


def generate(path):
    import torch
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.resnet50().eval()
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), path, opset_version=13, input_names=['input'],
                      output_names=['output'], dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}})


def measure(src, dst):
    import onnx
    t0 = time.perf_counter()
    model = onnx.load(src)
    t1 = time.perf_counter()
    onnx.save(model, dst)
    t2 = time.perf_counter()
    print(json.dumps({'load_s': t1 - t0, 'save_s': t2 - t1}))


if __name__ == '__main__':
    {'generate': generate, 'measure': measure}[sys.argv[1]](*sys.argv[2:])
