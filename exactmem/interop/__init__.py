"""Bridges to the tools people already have: exporting a certified network to float formats
(NumPy ``.npz``, ONNX) and importing a trained float network (ONNX) to certify, exactly, which
data points it gets right.  Above the core pipeline: nothing in the core imports this package."""
