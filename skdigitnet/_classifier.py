"""SigmoidMLPClassifier: the public face, the training loop's books, prediction.

The state rule: fitted attributes are replaced, never changed in place. An epoch
trains copies of ``coefs_`` and ``intercepts_``; curves and ``history_`` become new
lists (``[*old, new]``, never ``append``); counts and scores are numbers. So a failed
or interrupted call is undone by putting back the attributes saved at its start
(``_fitted_state``), weights uncopied. Two objects change in place and are saved
otherwise: the optimizer is deep-copied, the shuffles' ``RandomState`` keeps its
``get_state()``. A new attribute obeys the rule or joins that list;
``tests/test_state.py`` checks it.
"""

import copy
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state

from . import _buffered, _epoch, _monitors, _network, _persistence, _validation
from ._callbacks import CallbackSupportMixin, FitTasks, restored_state, saved_state
from ._optimizer import SGDOptimizer
from ._stopping import StoppingRule
from ._validation import fit_context

# Attributes of scikit-learn's callback support, which a failed fit keeps.
_CALLBACK_ATTRIBUTES = ("_skl_callbacks", "_callback")


class SigmoidMLPClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """The sigmoid network of Nielsen's *Neural Networks and Deep Learning*.

    Layers of sigmoid neurons with one output neuron per class, trained by
    mini-batch stochastic gradient descent and backpropagation on the
    quadratic cost :math:`C = 1/(2n) ∑_x ‖y(x) - a‖^2`, from N(0, 1)
    weights and biases, with the book's chapter 1 settings as defaults.
    Chapter 3's options and scikit-learn's momentum, schedules and early
    stopping are parameters; the :ref:`user_guide` explains each.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(30,)
        The number of neurons of each hidden layer: the book's ``sizes`` is
        ``[n_features, *hidden_layer_sizes, n_outputs_]``.

    loss : {"squared_error", "cross_entropy", "log_loss"}, \
            default="squared_error"
        The book's quadratic cost, chapter 3's cross-entropy (both with
        sigmoid outputs), or softmax outputs with the log-likelihood. Multilabel
        targets keep sigmoid outputs: ``"log_loss"`` then means the cross-entropy.

    weight_init : {"gaussian", "scaled"}, default="gaussian"
        Weights from N(0, 1) (chapter 1) or N(0, 1/n_in) (chapter 3).

    alpha : float, default=0.0
        Strength of the L2 penalty on the weights, as in
        :class:`~sklearn.neural_network.MLPClassifier`; the book's ``lmbda``
        over ``n`` samples is ``lmbda * batch_size / n``.

    batch_size : int or "auto", default=10
        Size of the mini-batches, the book's ``mini_batch_size``, clipped with
        a warning to the number of samples; ``"auto"`` is
        ``min(200, n_samples)``.

    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Learning-rate schedule, as in :class:`~sklearn.neural_network.MLPClassifier`:
        after each epoch, ``"invscaling"`` sets the rate to ``learning_rate_init /
        (t_ + 1) ** power_t``; ``"adaptive"`` divides it by 5 at each plateau (see
        ``tol``) and stops training once it is below 1e-6.

    learning_rate_init : float, default=3.0
        The learning rate, the book's ``eta``.

    power_t : float, default=0.5
        The exponent of the ``"invscaling"`` schedule.

    max_iter : int, default=30
        Number of epochs, the book's ``epochs``.

    shuffle : bool, default=True
        Whether to shuffle the samples before each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split.
        Pass an int for reproducible results.

    tol : float or None, default=None
        Stop when the training loss (with ``early_stopping``, the validation
        accuracy) has not improved by ``tol`` for more than
        ``n_iter_no_change`` epochs. ``None``, the book's behaviour, runs all
        ``max_iter`` epochs; early stopping and the adaptive schedule then use 1e-4.

    verbose : bool, default=False
        Print one line per epoch: the epoch, the training loss and seconds.

    warm_start : bool, default=False
        Whether ``fit`` continues from the weights of the previous call. Then, as
        for ``partial_fit``, a new ``hidden_layer_sizes`` or ``loss``, or float
        input of the other precision, raises a ``ValueError``.

    momentum : float, default=0.0
        Momentum of the gradient step, in [0, 1]. 0 is the book's plain SGD.

    nesterovs_momentum : bool, default=False
        Whether to use Nesterov's momentum (only when ``momentum > 0``).

    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` (or use ``X_val``), stop at
        a plateau of its accuracy and keep the best epoch's weights (see ``tol``).

    validation_fraction : float, default=0.1
        The fraction of the training data held out for early stopping.

    n_iter_no_change : int or np.inf, default=10
        Number of epochs without improvement by ``tol`` before stopping (or, with
        ``learning_rate="adaptive"``, dividing the rate). ``np.inf`` never stops;
        with ``early_stopping``, the best epoch's weights are still kept.

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, finite and non-negative, multiplied into
        ``sample_weight``. ``"balanced"`` is ``n_samples / (n_classes *
        np.bincount(y))``; ``partial_fit`` refuses it. Multilabel targets take none.

    monitor : str, list or tuple of str, or None, default=None
        What ``history_`` records after each epoch besides the epoch, its
        ``loss``, ``learning_rate`` and ``seconds``: ``"training_cost"``,
        ``"training_accuracy"``, ``"evaluation_cost"``,
        ``"evaluation_accuracy"`` or ``"learning_speed"``; the evaluation ones are
        recorded whenever there is ``X_val`` or early stopping's held-out fraction.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for multilabel targets, ``arange(n_labels)``).

    target_type_ : str
        ``"binary"``, ``"multiclass"`` or ``"multilabel-indicator"``, as
        :func:`~sklearn.utils.multiclass.type_of_target` says.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when ``X`` has string column names.

    coefs_ : list of ndarray of shape (n_in, n_out)
        The weights of each layer. The book's ``weights[l]`` is ``coefs_[l].T``.

    intercepts_ : list of ndarray of shape (n_out,)
        The biases of each layer, the book's ``biases[l].ravel()``.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output neurons: one per class (two for binary targets).

    out_activation_ : str
        The output function, ``"logistic"`` (sigmoid) or ``"softmax"``.

    n_iter_ : int
        Number of epochs run by the last ``fit`` (1 for ``partial_fit``).

    t_ : int
        Number of training samples seen, over all calls.

    loss_ : float
        The training loss of the last epoch, L2 term included.

    loss_curve_ : list of float
        ``loss_`` after each epoch.

    best_loss_ : float or None
        The lowest training loss, or ``None`` with early stopping.

    validation_scores_ : list of float or None
        With early stopping, the validation accuracy after each epoch.

    validation_loss_curve_ : list of float or None
        With early stopping, the mean validation cost after each epoch.

    best_validation_score_ : float or None
        With early stopping, the best validation accuracy.

    history_ : list of dict
        One dict per epoch, over all calls: ``"epoch"`` (counted from 1),
        ``"loss"``, ``"learning_rate"``, ``"seconds"`` and the monitors
        recorded.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's multi-layer
        perceptron, with more activations and solvers.

    Notes
    -----
    The defaults expect inputs in [0, 1], as the book's pixels are; see
    :class:`~skdigitnet.SaturationWarning`. A call that fails changes nothing. Ctrl-C
    keeps the whole epochs of ``fit`` with a warning, or in a call's first epoch undoes
    the call and re-raises (see the user guide's *Watching and interrupting*).

    References
    ----------
    Michael A. Nielsen, *Neural Networks and Deep Learning*, Determination
    Press, 2015, chapters 1 to 3. http://neuralnetworksanddeeplearning.com/

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skdigitnet import SigmoidMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, stratify=y, random_state=0)
    >>> clf = SigmoidMLPClassifier(random_state=0).fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.9
    True
    """

    _parameter_constraints: dict = _validation.PARAMETER_CONSTRAINTS

    def __init__(
        self,
        hidden_layer_sizes=(30,),
        *,
        loss="squared_error",
        weight_init="gaussian",
        alpha=0.0,
        batch_size=10,
        learning_rate="constant",
        learning_rate_init=3.0,
        power_t=0.5,
        max_iter=30,
        shuffle=True,
        random_state=None,
        tol=None,
        verbose=False,
        warm_start=False,
        momentum=0.0,
        nesterovs_momentum=False,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        class_weight=None,
        monitor=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.loss = loss
        self.weight_init = weight_init
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.monitor = monitor

    @fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Train the network on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The training inputs. float32 input is trained in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The class labels, or a multilabel indicator matrix.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the cost. Each mini-batch's gradient is
            divided by the sum of its weights.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            A validation set of your own, the book's ``evaluation_data``, in
            place of early stopping's held-out fraction; ``history_`` records
            its evaluation monitors. In a :class:`~sklearn.pipeline.Pipeline`, pass
            ``transform_input=["X_val"]``: ``fit`` warns (``UserWarning``) when its
            values look untransformed.

        y_val : array-like of shape (n_val,) or (n_val, n_labels), \
                default=None
            The labels of ``X_val``, among those of ``y``.

        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation samples (``class_weight`` does not
            apply to them).

        Returns
        -------
        self : object
            The fitted classifier.

        Warns
        -----
        SaturationWarning
            When most hidden neurons are saturated on the training data.

        ConvergenceWarning
            When all ``max_iter`` epochs ran although a stopping rule was asked for.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    @fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X,
        y,
        sample_weight=None,
        classes=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Train the network for one epoch over ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The training inputs.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The class labels, or a multilabel indicator matrix.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the cost.

        classes : array-like of shape (n_classes,), default=None
            All the classes that ``y`` may hold over all calls. Required on
            the first call, ignored (but checked) on later calls.

        X_val, y_val, sample_weight_val : default=None
            The evaluation data, its labels and weights, as in :meth:`fit`;
            an evaluation monitor in ``monitor`` requires them.

        Returns
        -------
        self : object
            The classifier, trained one epoch more.
        """
        val = (X_val, y_val, sample_weight_val)
        return self._fit(
            X, y, sample_weight, incremental=True, classes=classes, validation=val
        )

    def _fit(
        self, X, y, sample_weight, incremental, classes=None, validation=(None,) * 3
    ):
        # The callbacks are set up before the state is saved, so that a failed
        # fit, which puts the state back, still tears them down.
        tasks = FitTasks(
            self,
            "partial_fit" if incremental else "fit",
            max_epochs=1 if incremental else self.max_iter,
            X=X,
            y=y,
            sample_weight=sample_weight,
        )
        saved = self._fitted_state()
        try:
            X, Y, sample_weight = self._prepare(
                X, y, sample_weight, incremental, classes
            )
            validation = _validation.check_validation_set(
                self, *validation, binarizer=self._label_binarizer
            )
            _monitors.warn_if_val_range_differs(X, validation)
            tasks.begin()
            self._run_epochs(X, Y, sample_weight, incremental, tasks, validation)
            tasks.end()
            if not incremental:
                # Inside the try: a warning raised as an error undoes the call.
                _monitors.warn_if_saturated(
                    X,
                    self.coefs_,
                    self.intercepts_,
                    weight_init=self.weight_init,
                    loss=self.loss,
                )
        except BaseException:
            self._restore(saved)
            raise
        return self

    def _fitted_state(self):
        """Save what a call may change, for :meth:`_restore` (the state rule)."""
        saved = {name: vars(self)[name] for name in self._fitted_state_names()}
        if "_optimizer" in saved:
            saved["_optimizer"] = copy.deepcopy(saved["_optimizer"])
        rng = saved.get("_random_state", self.random_state)
        if not isinstance(rng, np.random.RandomState):
            return saved, None
        return saved, (rng, rng.get_state())

    def _restore(self, saved):
        attributes, rng = saved
        for name in self._fitted_state_names() - set(attributes):
            delattr(self, name)
        vars(self).update(attributes)
        if rng is not None:
            rng[0].set_state(rng[1])  # the same generator, the user's if given

    def _fitted_state_names(self):
        # All attributes but the parameters and the callbacks' bookkeeping.
        params = self.get_params(deep=False)
        return {
            name
            for name in vars(self)
            if name not in params and not name.startswith(_CALLBACK_ATTRIBUTES)
        }

    def _prepare(self, X, y, sample_weight, incremental, classes):
        """Validate the call's data; initialise the network on a first pass."""
        if incremental:
            # scikit-learn's fit context checks the parameters on the first
            # partial_fit only; set_params may have changed them since.
            self._validate_params()
            _validation.check_partial_fit_params(self.early_stopping, self.class_weight)
            binarizer = _validation.partial_fit_binarizer(self, y, classes)
            if binarizer is not None:  # the call's first
                self._set_targets(binarizer)
        fresh = not (self.warm_start or incremental)
        first_pass = fresh or not hasattr(self, "coefs_")
        if not first_pass:
            _validation.check_continuation(
                X,
                self.coefs_,
                hidden_layer_sizes=self.hidden_layer_sizes,
                loss=(self.loss, self._trained_loss(), self._loss),
                warm_start=self.warm_start,
            )
        X, y = _validation.check_X_y(self, X, y, reset=first_pass)
        if fresh or not hasattr(self, "classes_"):
            self._set_targets(LabelBinarizer().fit(y))
        else:
            _validation.check_classes(y, self.classes_, same=not incremental)
        if len(self.classes_) < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got "
                f"{len(self.classes_)} class"
            )
        if not first_pass:
            X = X.astype(self.coefs_[0].dtype, copy=False)
        Y = _validation.encode(self._label_binarizer, y, X.dtype)
        sample_weight = _validation.check_weights(
            sample_weight, self.class_weight, X, y, multilabel=self._is_multilabel()
        )
        if first_pass:
            # Later partial_fit and warm-started fit calls shuffle with this
            # generator, so that k epochs in k calls equal k epochs in one.
            self._random_state = check_random_state(self.random_state)
            self._initialize(X.shape[1], X.dtype)
        else:
            self._start_books(fresh=False)
        return X, Y, sample_weight

    def _set_targets(self, binarizer):
        self._label_binarizer = binarizer
        self.target_type_ = binarizer.y_type_
        self.classes_ = binarizer.classes_

    def _start_books(self, fresh):
        """Restart the optimizer and stopping books (unless ``fresh``, if changed)."""
        if fresh or (self.validation_scores_ is None) == self.early_stopping:
            self._no_improvement_count = 0
            for name in ("_best_coefs", "_best_intercepts"):
                vars(self).pop(name, None)
            on = self.early_stopping
            self.validation_scores_ = [] if on else None
            self.validation_loss_curve_ = [] if on else None
            self.best_validation_score_ = -np.inf if on else None
            self.best_loss_ = None if on else np.inf
        settings = {
            "learning_rate_init": self.learning_rate_init,
            "lr_schedule": self.learning_rate,
            "momentum": self.momentum,
            "nesterov": self.nesterovs_momentum,
            "power_t": self.power_t,
            "alpha": self.alpha,
        }
        if fresh or settings != self._optimizer.settings():
            self._optimizer = SGDOptimizer(self.coefs_ + self.intercepts_, **settings)

    def _trained_loss(self):
        # The one place where the loss parameter becomes the trained loss:
        # multilabel outputs are sigmoids, so log_loss means cross-entropy.
        if self._is_multilabel() and self.loss == "log_loss":
            return "cross_entropy"
        return self.loss

    def _initialize(self, n_features, dtype):
        """Draw the network, and start its optimizer and history afresh."""
        hidden = _validation.check_hidden_layer_sizes(self.hidden_layer_sizes)
        n_classes = len(self.classes_)
        self.n_outputs_ = n_classes if self._is_multilabel() else max(n_classes, 2)
        sizes = [n_features, *hidden, self.n_outputs_]
        self.n_layers_ = len(sizes)
        self._loss = self._trained_loss()
        self.out_activation_ = _network.LOSSES[self._loss].out_activation
        self.coefs_, self.intercepts_ = _network.init_params(
            sizes, self._random_state, dtype, self.weight_init
        )
        self.t_ = 0
        self.loss_curve_ = []
        self.history_ = []
        self._start_books(fresh=True)

    def _run_epochs(self, X, Y, sample_weight, incremental, tasks, validation=None):
        """Train for the call's epochs, keeping the books after each."""
        if self.early_stopping and validation is None:
            X, Y, sample_weight, validation = _validation.split_validation(
                X,
                Y,
                sample_weight,
                fraction=self.validation_fraction,
                random_state=self._random_state,
                classes=None if self._is_multilabel() else self.classes_,
            )
        # Made at each call: set_params may change the parameters in between.
        rule = StoppingRule(self)
        batch_size = _validation.check_batch_size(self.batch_size, X.shape[0])
        training = (X, Y, sample_weight)
        self.n_iter_ = 0
        for _ in range(1 if incremental else self.max_iter):
            kept = self._fitted_state()
            try:
                tasks.begin_epoch()
                tic = time.perf_counter()
                self._train_epoch(*training, batch_size)
                self._end_epoch(training, batch_size, validation, tic, rule)
                stop = tasks.end_epoch()
            except KeyboardInterrupt:
                # The model, its books and the generator of the last whole
                # epoch; with none, the call undoes itself.
                self._restore(kept)
                if self.n_iter_ == 0:
                    raise
                warnings.warn(
                    f"Training interrupted by user after {self.n_iter_} whole "
                    "epochs; the model keeps their weights."
                )
                break
            if self._stop_now(rule) or stop:
                break
            if not incremental and self.n_iter_ == self.max_iter:
                rule.warn_at_max_iter(self.max_iter)
        if self.early_stopping and hasattr(self, "_best_coefs"):
            self.coefs_ = [c.copy() for c in self._best_coefs]
            self.intercepts_ = [b.copy() for b in self._best_intercepts]

    def _train_epoch(self, X, Y, sample_weight, batch_size):
        """One epoch on copies of the weights (the state rule), kept if finite."""
        coefs = [c.copy() for c in self.coefs_]
        intercepts = [b.copy() for b in self.intercepts_]
        n = X.shape[0]
        order = self._random_state.permutation(n) if self.shuffle else np.arange(n)
        params = (coefs, intercepts)
        loss = _epoch.train_epoch(
            X, Y, order, batch_size, params, self._optimizer, self._loss, sample_weight
        )
        _epoch.check_finite(
            loss, coefs, intercepts, len(self.loss_curve_) + 1, self.learning_rate_init
        )
        self.coefs_, self.intercepts_, self.loss_ = coefs, intercepts, loss

    def _end_epoch(self, training, batch_size, validation, tic, rule):
        """Keep the books after an epoch: counts, curves, monitors, schedule."""
        self.n_iter_ += 1
        self.t_ += training[0].shape[0]
        self.loss_curve_ = [*self.loss_curve_, self.loss_]
        if self.verbose:
            print(
                f"Epoch {self.n_iter_}: loss = {self.loss_:.6f}, "
                f"{time.perf_counter() - tic:.2f} s"
            )
        names = _monitors.monitor_names(self.monitor)
        scores = {}
        if names & {"training_cost", "training_accuracy"}:
            scores["training"] = self._evaluate(*training)
        if validation is not None:
            # One pass serves early stopping and the evaluation monitors.
            scores["evaluation"] = self._evaluate(*validation)
            if self.early_stopping:
                self._score_validation(*scores["evaluation"], rule)
        penalty = 0.0
        if self.alpha:
            penalty = 0.5 * self.alpha * _epoch.squared_norm(self.coefs_) / batch_size
        speed = None
        if "learning_speed" in names:
            speed = _monitors.learning_speed(
                *training, self.coefs_, self.intercepts_, self._loss
            )
        monitors = _monitors.epoch_record(names, scores, penalty, speed)
        if self.verbose and monitors:
            shown = (f"{name} = {_monitors.shown(v)}" for name, v in monitors.items())
            print(", ".join(shown))
        record = {
            "epoch": len(self.loss_curve_),
            "loss": self.loss_,
            "learning_rate": self._optimizer.learning_rate,
            **monitors,
            "seconds": time.perf_counter() - tic,
        }
        self.history_ = [*getattr(self, "history_", []), record]  # the state rule
        self._optimizer.iteration_ends(self.t_)

    def _evaluate(self, X, Y, sample_weight):
        """Accuracy and mean cost (without L2) of the network on ``(X, Y)``."""
        return _monitors.accuracy_and_cost(
            self._forward(X), Y, sample_weight, self._loss, self._is_multilabel()
        )

    def _score_validation(self, score, cost, rule):
        self.validation_loss_curve_ = [*self.validation_loss_curve_, cost]
        self.validation_scores_ = [*self.validation_scores_, score]
        if self.verbose:
            print(f"Validation score: {score:.6f}")
        self._no_improvement_count = rule.count(
            self._no_improvement_count, score, self.best_validation_score_
        )
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            self._best_coefs = [c.copy() for c in self.coefs_]
            self._best_intercepts = [b.copy() for b in self.intercepts_]

    def _stop_now(self, rule):
        if not rule.on_validation:
            self._no_improvement_count = rule.count(
                self._no_improvement_count, -self.loss_, -self.best_loss_
            )
            self.best_loss_ = min(self.best_loss_, self.loss_)
        if not rule.plateaued(self._no_improvement_count):
            return False
        if self._optimizer.trigger_stopping(rule.message(), self.verbose):
            return True
        self._no_improvement_count = 0
        return False

    def _is_multilabel(self):
        return self.target_type_.startswith("multilabel")

    def _forward(self, X):
        # In the weights' dtype, by chunks of rows to bound the memory.
        out = np.empty((X.shape[0], self.n_outputs_), dtype=self.coefs_[0].dtype)
        # A weighted input too large for the dtype saturates its sigmoid, the
        # right limit; only inf - inf, a NaN, cannot be given a value.
        with np.errstate(all="ignore"):
            _buffered.feedforward_into(
                out, X, self.coefs_, self.intercepts_, self._loss
            )
        if np.isnan(out).any():
            raise ValueError(
                "The inputs are too large for the network's weights: its output "
                "overflowed to NaN. Scale X as the training data was scaled."
            )
        return out

    def predict(self, X):
        """Predict the class whose output neuron has the highest activation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes (a 0/1 indicator matrix for multilabel
            targets, each label predicted where its activation exceeds 0.5).
        """
        out = self._forward(_validation.check_X(self, X))
        if self._is_multilabel():
            return self._label_binarizer.inverse_transform(out)
        return self.classes_[out.argmax(axis=1)]

    def predict_proba(self, X):
        """Normalised output activations of the network.

        Sigmoid outputs are divided by their sum, so that each row sums to 1;
        they are not calibrated probabilities (see :ref:`predict_proba`). Softmax
        outputs, and multilabel ones (each label's sigmoid), are returned as they are.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The normalised activations, in the order of ``classes_``, of the
            dtype of the weights.
        """
        out = self._forward(_validation.check_X(self, X))
        if self.out_activation_ == "logistic" and not self._is_multilabel():
            total = out.sum(axis=1, keepdims=True)
            np.divide(out, total, out=out, where=total > 0)
            # Where every activation underflowed to 0, nothing tells the
            # classes apart: uniform, whose argmax is still the prediction.
            out[total[:, 0] == 0] = 1 / out.shape[1]
        return out

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The logarithm of the normalised activations.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def hidden_activations(self, X, layer=-1):
        """Activations of a hidden layer's neurons, to see what they learned.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The inputs.

        layer : int, default=-1
            Index of the hidden layer, counted from 0 (the first hidden
            layer); negative values count from the last hidden layer.

        Returns
        -------
        activations : ndarray of shape (n_samples, hidden_layer_sizes[layer])
            The sigmoid activations of that layer.
        """
        X = _validation.check_X(self, X)
        n_hidden = self.n_layers_ - 2
        if not -n_hidden <= layer < n_hidden:
            raise ValueError(
                f"layer must be in [{-n_hidden}, {n_hidden - 1}], got {layer}."
            )
        X = X.astype(self.coefs_[0].dtype, copy=False)
        activations = _network.hidden_activations(X, self.coefs_, self.intercepts_)
        return activations[layer]

    def __getstate__(self):
        """Return the state to pickle, version-stamped, callbacks as their settings."""
        return _persistence.stamp_version(saved_state(super().__getstate__()))

    def __setstate__(self, state):
        """Restore a pickled state; warn if another version saved it."""
        state = _persistence.check_version(type(self).__name__, dict(state))
        if "_label_binarizer" in state and "target_type_" not in state:
            # Saved before the attribute existed: its binarizer knows it.
            state["target_type_"] = state["_label_binarizer"].y_type_
        super().__setstate__(restored_state(state))

    def __sklearn_tags__(self):
        """Declare sparse and multilabel support to scikit-learn."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags
