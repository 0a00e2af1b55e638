"""ONNX export: a converter of :class:`SigmoidMLPClassifier` for skl2onnx.

skl2onnx converts scikit-learn models to ONNX, so that onnxruntime (from C++,
C#, Java, JavaScript, ...) can run them without Python. Custom estimators are
added to it by registering three functions for their class: a parser that
declares the operator's outputs, a shape calculator that gives their types,
and a converter that writes the ONNX nodes. This module holds those three,
built on the estimator's public fitted attributes only, and
:func:`to_onnx`, which registers them and converts. The graph computes what
``predict`` and ``predict_proba`` compute, as the page "Deploying and
scaling" of the documentation describes. skl2onnx and onnx, an optional
extra, are imported when used.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._classifier import SigmoidMLPClassifier
from ._preprocessing import GreyLevelScaler

_ALIAS = "SkdigitnetSigmoidMLPClassifier"
_SCALER_ALIAS = "SkdigitnetGreyLevelScaler"

# ReduceSum takes its axes as an input from opset 13 on, an attribute before;
# 13 (2021) is the oldest opset this converter writes.
_MIN_OPSET = 13


def _import_skl2onnx():
    """Import skl2onnx, or raise an ImportError saying how to install it."""
    try:
        import skl2onnx
    except ImportError as exc:
        raise ImportError(
            "ONNX export needs skl2onnx, onnx and onnxruntime, the optional 'onnx' "
            f'extra: pip install "skdigitnet[onnx]" ({exc}).'
        ) from exc
    return skl2onnx


def register_onnx_converter():
    """Register the ONNX converter of :class:`SigmoidMLPClassifier` with skl2onnx.

    After this call, skl2onnx's own :func:`skl2onnx.to_onnx` and
    :func:`skl2onnx.convert_sklearn` convert a
    :class:`SigmoidMLPClassifier`, alone or as a step of a scikit-learn
    :class:`~sklearn.pipeline.Pipeline`. :func:`to_onnx` calls it for you.
    Calling it again does nothing more.

    Raises
    ------
    ImportError
        If skl2onnx is not installed; the message says how to install it.

    See Also
    --------
    to_onnx : Convert a model to ONNX.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx  # doctest: +SKIP
    >>> from skdigitnet import SigmoidMLPClassifier, register_onnx_converter
    >>> register_onnx_converter()  # doctest: +SKIP
    >>> X = np.random.default_rng(0).random((20, 4))
    >>> clf = SigmoidMLPClassifier(max_iter=2).fit(X, [0, 1] * 10)
    >>> onx = skl2onnx.to_onnx(clf, X[:1])  # doctest: +SKIP
    """
    skl2onnx = _import_skl2onnx()
    skl2onnx.update_registered_converter(
        SigmoidMLPClassifier,
        _ALIAS,
        _calculate_output_shapes,
        _convert,
        parser=_parse,
        # skl2onnx sets zipmap=True on every classifier of a pipeline, and
        # users pass zipmap=False: both are accepted, and ZipMap never added.
        options={"zipmap": [True, False]},
    )
    skl2onnx.update_registered_converter(
        GreyLevelScaler, _SCALER_ALIAS, _scaler_output_shapes, _convert_scaler
    )


def to_onnx(model, X_sample, *, target_opset=None, options=None):
    """Convert a fitted model that holds a :class:`SigmoidMLPClassifier` to ONNX.

    Parameters
    ----------
    model : estimator
        A fitted :class:`SigmoidMLPClassifier`, or a scikit-learn
        :class:`~sklearn.pipeline.Pipeline` (or other estimator skl2onnx
        converts) with one as a step.

    X_sample : array-like of shape (n_samples, n_features)
        A few rows of input, such as ``X[:1]``: their dtype and number of
        columns fix the type of the ONNX model's input (float32 or float64).

    target_opset : int, default=None
        The ONNX opset to write, at least 13; None for skl2onnx's latest
        tested opset.

    options : dict, default=None
        skl2onnx's conversion options, passed on.

    Returns
    -------
    onx : onnx.ModelProto
        The model. Its input is ``X``; its outputs are ``label``, as
        ``predict`` returns it, and ``probabilities``, as ``predict_proba``
        returns it, in the dtype of the classifier's weights (the dtype it
        was trained in). Save it with ``onx.SerializeToString()``.

    Raises
    ------
    ImportError
        If skl2onnx is not installed; the message says how to install it.

    NotFittedError
        If ``model`` is not fitted.

    ValueError
        If ``X_sample`` is not a 2-d array of ``model.n_features_in_``
        columns.

    See Also
    --------
    register_onnx_converter : Make skl2onnx's own functions convert the
        classifier.

    Notes
    -----
    The outputs are plain tensors, without the ZipMap skl2onnx adds after
    scikit-learn's classifiers (its option ``zipmap`` is accepted and
    ignored). Inputs whose outputs overflow to NaN, for
    which ``predict`` raises an error, give NaN probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigitnet import SigmoidMLPClassifier, to_onnx
    >>> X = np.random.default_rng(0).random((20, 4))
    >>> clf = SigmoidMLPClassifier(max_iter=2).fit(X, [0, 1] * 10)
    >>> onx = to_onnx(clf, X[:1])  # doctest: +SKIP
    >>> import onnxruntime as ort  # doctest: +SKIP
    >>> session = ort.InferenceSession(onx.SerializeToString())  # doctest: +SKIP
    >>> label, proba = session.run(None, {"X": X})  # doctest: +SKIP
    """
    check_is_fitted(model)
    X_sample = np.asarray(X_sample)
    if X_sample.ndim != 2:
        raise ValueError(
            "X_sample must be a 2-d array of rows, such as X[:1]; got an array "
            f"of shape {X_sample.shape}."
        )
    n_features = getattr(model, "n_features_in_", None)
    if n_features is not None and X_sample.shape[1] != n_features:
        raise ValueError(
            f"X_sample has {X_sample.shape[1]} features, but {type(model).__name__} "
            f"is expecting {n_features} features as input."
        )
    skl2onnx = _import_skl2onnx()
    register_onnx_converter()
    return skl2onnx.to_onnx(model, X_sample, target_opset=target_opset, options=options)


# --- what the model predicts, from its public attributes -------------------


def _is_multilabel(model):
    """Whether ``model`` was fitted on a multilabel indicator matrix."""
    return model.target_type_.startswith("multilabel")


def _label_type(classes):
    """Return the ONNX tensor type of the labels, and the classes in that type."""
    from skl2onnx.common import data_types as types

    kind = classes.dtype.kind
    if kind == "b":
        return types.BooleanTensorType, classes
    if kind in "iu":
        return types.Int64TensorType, classes.astype(np.int64)
    if classes.dtype == np.float32:
        return types.FloatTensorType, classes
    if kind == "f":
        return types.DoubleTensorType, classes.astype(np.float64)
    if all(isinstance(c, str) for c in classes):
        return types.StringTensorType, np.array(classes, dtype=object)
    raise TypeError(
        "ONNX export needs class labels that are all integers, floats, "
        f"booleans or strings; classes_ holds {classes.dtype} values "
        f"{list(classes)[:5]!r}."
    )


def _proba_type(model):
    """Return the ONNX tensor type of the probabilities: the weights' dtype."""
    from skl2onnx.common import data_types as types

    if model.coefs_[0].dtype == np.float32:
        return types.FloatTensorType
    return types.DoubleTensorType


# --- the three functions skl2onnx calls --------------------------------------


def _parse(scope, model, inputs, custom_parsers=None):
    """Declare the operator of ``model`` and its outputs, label and probabilities."""
    # Checks the options given; zipmap, True or False, changes nothing.
    scope.get_options(model, {"zipmap": False})
    operator = scope.declare_local_operator(_ALIAS, model)
    operator.inputs = inputs
    if _is_multilabel(model):
        from skl2onnx.common.data_types import Int64TensorType as label_type
    else:
        label_type, _ = _label_type(model.classes_)
    operator.outputs.append(scope.declare_local_variable("label", label_type()))
    operator.outputs.append(
        scope.declare_local_variable("probabilities", _proba_type(model)())
    )
    return operator.outputs


def _calculate_output_shapes(operator):
    """Check the input type and set the outputs' types and shapes."""
    from skl2onnx.common import data_types as types
    from skl2onnx.common import utils

    utils.check_input_and_output_numbers(operator, 1, 2)
    numbers = [types.FloatTensorType, types.DoubleTensorType, types.Int64TensorType]
    utils.check_input_and_output_types(operator, good_input_types=numbers)
    model = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    label, probabilities = operator.outputs
    # _parse gave each output its type; a multilabel label is a 0/1 matrix.
    columns = [model.n_outputs_] if _is_multilabel(model) else []
    label.type = type(label.type)([n_rows, *columns])
    probabilities.type = type(probabilities.type)([n_rows, model.n_outputs_])


def _convert(scope, operator, container):
    """Write the ONNX nodes of the forward pass, the label and the probabilities."""
    from onnx import TensorProto
    from onnx.helper import np_dtype_to_tensor_dtype

    if container.target_opset < _MIN_OPSET:
        raise RuntimeError(
            f"The ONNX export of {type(operator.raw_operator).__name__} needs "
            f"opset {_MIN_OPSET} or later; target_opset is {container.target_opset}."
        )
    model = operator.raw_operator
    dtype = model.coefs_[0].dtype
    graph = _Graph(scope, container, np_dtype_to_tensor_dtype(dtype))
    label, probabilities = (output.full_name for output in operator.outputs)

    # predict converts X to the weights' dtype; so does the graph.
    a = graph.node("Cast", [operator.inputs[0].full_name], to=graph.proto_dtype)
    n_layers = len(model.coefs_)
    for layer, (w, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        z = graph.node("MatMul", [a, graph.constant(w.astype(dtype))])
        z = graph.node("Add", [z, graph.constant(b.astype(dtype))])
        if layer < n_layers - 1:
            a = graph.node("Sigmoid", [z])
        elif model.out_activation_ == "softmax":
            a = graph.node("Softmax", [z], axis=1)
        else:
            a = _sigmoid_by_exp(graph, z, dtype)

    if _is_multilabel(model):
        graph.node("Identity", [a], probabilities)
        over = graph.node("Greater", [a, graph.constant(np.array(0.5, dtype))])
        graph.node("Cast", [over], label, to=TensorProto.INT64)
        return

    if model.out_activation_ == "softmax":
        graph.node("Identity", [a], probabilities)
    else:
        _normalise(graph, a, probabilities, model.n_outputs_, dtype)
    # The argmax of the outputs themselves, as predict takes it: dividing
    # by their sum could round two of them to the same value.
    index = graph.node("ArgMax", [a], axis=1, keepdims=0)
    _, classes = _label_type(model.classes_)
    graph.node("Gather", [graph.constant(classes), index], label, axis=0)


def _scaler_output_shapes(operator):
    """Give the scaled pixels the input's float type, double for integers."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    source = operator.inputs[0].type
    n_rows = operator.inputs[0].get_first_dimension()
    n_features = operator.raw_operator.n_features_in_
    kind = FloatTensorType if isinstance(source, FloatTensorType) else DoubleTensorType
    operator.outputs[0].type = kind([n_rows, n_features])


def _convert_scaler(scope, operator, container):
    """Write ``X / grey_max`` in the output's float type, as ``transform`` does."""
    from onnx.helper import np_dtype_to_tensor_dtype
    from skl2onnx.common.data_types import FloatTensorType

    output = operator.outputs[0]
    dtype = np.float32 if isinstance(output.type, FloatTensorType) else np.float64
    graph = _Graph(scope, container, np_dtype_to_tensor_dtype(np.dtype(dtype)))
    x = graph.node("Cast", [operator.inputs[0].full_name], to=graph.proto_dtype)
    grey_max = graph.constant(np.array(operator.raw_operator.grey_max, dtype=dtype))
    graph.node("Div", [x, grey_max], output.full_name)


def _sigmoid_by_exp(graph, z, dtype):
    """Compute ``1 / (1 + exp(-z))`` elementwise, accurate where it is tiny.

    onnxruntime's float32 Sigmoid approximates to an absolute error near
    1e-7, which dividing outputs of order 1e-4 by their sum would make a
    relative one of 1e-3; its Exp keeps its relative error near float32's.
    Where ``exp(-z)`` overflows, the result is 1 / inf, the right 0.
    """
    one = graph.constant(np.array(1, dtype))
    e = graph.node("Exp", [graph.node("Neg", [z])])
    return graph.node("Div", [one, graph.node("Add", [one, e])])


def _normalise(graph, a, probabilities, n_outputs, dtype):
    """Divide the ``(m, n_outputs)`` sigmoid outputs ``a`` by their row sums.

    Rows whose outputs are all 0 get ``1 / n_outputs``, as in
    ``predict_proba``.
    """
    total = graph.node(
        "ReduceSum", [a, graph.constant(np.array([1], np.int64))], keepdims=1
    )
    ratio = graph.node("Div", [a, total])
    positive = graph.node("Greater", [total, graph.constant(np.array(0, dtype))])
    uniform = graph.constant(np.array(1 / n_outputs, dtype))
    graph.node("Where", [positive, ratio, uniform], probabilities)


class _Graph:
    """Adds nodes and constants to skl2onnx's container under unique names."""

    def __init__(self, scope, container, proto_dtype):
        self.scope = scope
        self.container = container
        self.proto_dtype = proto_dtype

    def node(self, op_type, inputs, output=None, **attrs):
        """Add an ``op_type`` node; return the name of its output."""
        if output is None:
            output = self.scope.get_unique_variable_name(op_type.lower())
        name = self.scope.get_unique_operator_name(op_type)
        self.container.add_node(op_type, inputs, output, name=name, **attrs)
        return output

    def constant(self, array):
        """Add ``array`` as an initializer; return its name."""
        from onnx import TensorProto
        from onnx.numpy_helper import from_array

        name = self.scope.get_unique_variable_name("constant")
        if array.dtype == object:
            # Strings are stored as UTF-8 bytes, outside raw_data.
            content = [str(s).encode("utf-8") for s in array.ravel()]
            self.container.add_initializer(
                name, TensorProto.STRING, list(array.shape), content
            )
        else:
            tensor = from_array(np.ascontiguousarray(array), name)
            self.container.add_initializer(name, None, None, tensor)
        return name
