"""tf.queue: the book's FIFOQueue example, producer/consumer threads on every queue kind
(each thread joined with a timeout, so a deadlock fails instead of hanging), closing, and
queues inside tf.function."""

import threading

import numpy as np
import pytest

import rill as tf

JOIN = 10.0  # seconds a test waits for its threads


def _run(*targets):
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN)
        assert not t.is_alive(), "a queue thread is stuck"


def test_book_fifo_queue():
    q = tf.queue.FIFOQueue(3, [tf.int32, tf.string], shapes=[(), ()])
    q.enqueue([10, b"windy"])
    q.enqueue([15, b"sunny"])
    assert int(q.size()) == 2
    first = q.dequeue()
    assert [first[0].numpy(), first[1].numpy()] == [10, b"windy"]
    q.enqueue_many([[13, 16], [b"cloudy", b"rainy"]])
    temps, words = q.dequeue_many(3)
    assert temps.numpy().tolist() == [15, 13, 16]
    assert words.numpy().tolist() == [b"sunny", b"cloudy", b"rainy"]


@pytest.mark.parametrize("make", [
    lambda: tf.queue.FIFOQueue(4, tf.int32, shapes=[()]),
    lambda: tf.queue.RandomShuffleQueue(4, 0, tf.int32, shapes=[()], seed=3),
    lambda: tf.queue.PaddingFIFOQueue(4, [tf.int32], shapes=[()]),
], ids=["fifo", "random_shuffle", "padding_fifo"])
def test_producer_consumer(make):
    q = make()
    got = []

    def producer():
        for i in range(50):  # capacity 4: the producer blocks until the consumer catches up
            q.enqueue(i)
        q.close()

    def consumer():
        while True:
            try:
                got.append(int(np.reshape(q.dequeue(timeout=JOIN), -1)[0]))
            except tf.errors.OutOfRangeError:
                return

    _run(producer, consumer)
    if isinstance(q, tf.queue.RandomShuffleQueue):
        assert sorted(got) == list(range(50))
    else:
        assert got == list(range(50))


def test_priority_queue_producer_consumer():
    q = tf.queue.PriorityQueue(100, [tf.string], shapes=[()])
    priorities = np.random.default_rng(1).permutation(30)

    def producer():
        for p in priorities:
            q.enqueue((tf.constant(int(p), tf.int64), f"item{p}"))

    _run(producer)
    out = []

    def consumer():
        for _ in range(3):
            prio, names = q.dequeue_many(10)
            out.extend(zip(prio.numpy().tolist(), names.numpy().tolist()))

    _run(consumer)
    assert out == [(i, f"item{i}".encode()) for i in range(30)]


def test_blocking_until_enough_elements():
    q = tf.queue.FIFOQueue(10, tf.float32, shapes=[2])
    result = {}

    def consumer():
        result["batch"] = q.dequeue_many(3, timeout=JOIN).numpy()

    def producer():
        for i in range(3):
            q.enqueue(([float(i), float(-i)],))

    _run(consumer, producer)
    np.testing.assert_array_equal(result["batch"], [[0, 0], [1, -1], [2, -2]])


def test_timeouts_raise_deadline_exceeded():
    q = tf.queue.FIFOQueue(1, tf.int32, shapes=[()])
    with pytest.raises(tf.errors.DeadlineExceededError, match="Timed out"):
        q.dequeue(timeout=0.05)
    q.enqueue(1)
    with pytest.raises(tf.errors.DeadlineExceededError):
        q.enqueue(2, timeout=0.05)  # full


def test_close_semantics():
    q = tf.queue.FIFOQueue(5, tf.int32, shapes=[()])
    q.enqueue_many([[1, 2, 3]])
    assert not bool(q.is_closed())
    q.close()
    assert bool(q.is_closed())
    with pytest.raises(tf.errors.CancelledError, match="is closed"):
        q.enqueue(4)
    with pytest.raises(tf.errors.OutOfRangeError, match="insufficient elements"):
        q.dequeue_many(5)
    assert q.dequeue_up_to(5).numpy().tolist() == [1, 2, 3]  # what is left
    with pytest.raises(tf.errors.OutOfRangeError,
                       match=r"is closed and has insufficient elements \(requested 1, "
                             r"current size 0\)"):
        q.dequeue()


def test_close_wakes_blocked_consumers_and_cancels_pending_enqueues():
    q = tf.queue.FIFOQueue(1, tf.int32, shapes=[()])
    errors = []

    def consumer():
        try:
            q.dequeue_many(2, timeout=JOIN)
        except tf.errors.OutOfRangeError as exc:
            errors.append(exc)

    def closer():
        q.enqueue(1)
        q.close()

    _run(consumer, closer)
    assert len(errors) == 1
    q2 = tf.queue.FIFOQueue(1, tf.int32, shapes=[()])
    q2.enqueue(1)
    cancelled = []

    def blocked_producer():
        try:
            q2.enqueue(2, timeout=JOIN)
        except tf.errors.CancelledError as exc:
            cancelled.append(exc)

    t = threading.Thread(target=blocked_producer, daemon=True)
    t.start()
    t.join(0.1)
    q2.close(cancel_pending_enqueues=True)
    t.join(JOIN)
    assert not t.is_alive() and len(cancelled) == 1


def test_random_shuffle_queue_keeps_min_after_dequeue():
    q = tf.queue.RandomShuffleQueue(10, 3, tf.int32, shapes=[()], seed=42)
    q.enqueue_many([[1, 2, 3, 4, 5]])
    first = q.dequeue_many(2).numpy().tolist()
    assert int(q.size()) == 3
    with pytest.raises(tf.errors.DeadlineExceededError):
        q.dequeue(timeout=0.05)  # would leave fewer than min_after_dequeue
    q.close()
    rest = q.dequeue_many(3).numpy().tolist()
    assert sorted(first + rest) == [1, 2, 3, 4, 5]


def test_padding_fifo_queue_pads_batches():
    q = tf.queue.PaddingFIFOQueue(5, [tf.int32, tf.string], shapes=[(None,), ()])
    q.enqueue(([1, 2, 3], "a"))
    q.enqueue(([4], "b"))
    values, names = q.dequeue_many(2)
    assert values.numpy().tolist() == [[1, 2, 3], [4, 0, 0]]
    assert names.numpy().tolist() == [b"a", b"b"]


def test_shapes_names_and_errors():
    q = tf.queue.FIFOQueue(5, [tf.int32], shapes=[(2,)], names=["x"])
    q.enqueue({"x": [1, 2]})
    assert q.dequeue()["x"].numpy().tolist() == [1, 2]
    with pytest.raises(ValueError, match="incompatible"):
        q.enqueue({"x": [1, 2, 3]})
    no_shapes = tf.queue.FIFOQueue(5, tf.int32)
    no_shapes.enqueue(1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="require the components to have "
                                                             "specified shapes"):
        no_shapes.dequeue_many(1)
    assert no_shapes.dtypes == [tf.int32]


def test_queue_ops_inside_tf_function():
    q = tf.queue.FIFOQueue(10, tf.float32, shapes=[()])

    @tf.function
    def push(x):
        q.enqueue(x * 2.0)
        return q.size()

    assert int(push(tf.constant(1.0))) == 1
    assert int(push(tf.constant(2.0))) == 2  # the compiled function enqueues each call

    @tf.function
    def pop():
        return q.dequeue()

    assert float(pop()) == 2.0 and float(pop()) == 4.0
