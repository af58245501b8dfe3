"""`tf.errors`: TensorFlow's exception types, each carrying the op that raised it."""

from __future__ import annotations


class OpError(Exception):
    """Base of the errors an op raises; `op` names the op (e.g. `AddV2`) when known."""

    error_code = 2

    def __init__(self, node_def=None, op=None, message: str = "", *args):
        # TensorFlow's signature is (node_def, op, message); rill also accepts (message,)
        if message == "" and op is None and isinstance(node_def, str):
            node_def, message = None, node_def
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __str__(self) -> str:
        return self.message


class CancelledError(OpError):
    error_code = 1


class UnknownError(OpError):
    error_code = 2


class InvalidArgumentError(OpError, ValueError):
    error_code = 3


class DeadlineExceededError(OpError):
    error_code = 4


class NotFoundError(OpError):
    error_code = 5


class AlreadyExistsError(OpError):
    error_code = 6


class PermissionDeniedError(OpError):
    error_code = 7


class ResourceExhaustedError(OpError):
    error_code = 8


class FailedPreconditionError(OpError):
    error_code = 9


class AbortedError(OpError):
    error_code = 10


class OutOfRangeError(OpError):
    error_code = 11


class UnimplementedError(OpError):
    error_code = 12


class InternalError(OpError):
    error_code = 13


class UnavailableError(OpError):
    error_code = 14


class DataLossError(OpError):
    error_code = 15


class UnauthenticatedError(OpError):
    error_code = 16


class OperatorNotAllowedInGraphError(TypeError):
    """A Python operation on a symbolic tensor that a traced graph cannot express (using it
    as a Python bool, for example)."""


# TensorFlow's canonical error codes (`tf.errors.INVALID_ARGUMENT`, ...), the `error_code`
# of the exception classes above
OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


__tf_names__ = {
    "errors": "ABORTED AbortedError ALREADY_EXISTS AlreadyExistsError CANCELLED CancelledError "
              "DATA_LOSS DataLossError DEADLINE_EXCEEDED DeadlineExceededError FAILED_PRECONDITION "
              "FailedPreconditionError INTERNAL InternalError INVALID_ARGUMENT "
              "InvalidArgumentError NOT_FOUND NotFoundError OK OperatorNotAllowedInGraphError "
              "OpError OUT_OF_RANGE OutOfRangeError PERMISSION_DENIED PermissionDeniedError "
              "RESOURCE_EXHAUSTED ResourceExhaustedError UNAUTHENTICATED UnauthenticatedError "
              "UNAVAILABLE UnavailableError UNIMPLEMENTED UnimplementedError UNKNOWN UnknownError",
}
