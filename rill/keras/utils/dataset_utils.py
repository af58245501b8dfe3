"""`keras.utils.image_dataset_from_directory` and `text_dataset_from_directory`: tf.data
datasets of files sorted into one sub-directory per class.

Images are decoded with Pillow (an optional dependency: `pip install pillow`), resized with
`tf.image.resize`; texts are read as bytes. Files are listed per class in sorted order,
shuffled once with the seed, split into training and validation as Keras does (the last
`validation_split` fraction is the validation subset), then batched.
"""

from __future__ import annotations

import os

import numpy as np

import rill as tf

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
_PIL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def _index(directory, labels, class_names, extensions, follow_links, who):
    """(file paths, integer labels or None, class names) in Keras' order."""
    if not os.path.isdir(directory):
        raise ValueError(f"{who}: directory {directory!r} does not exist.\nhint: pass the "
                         f"folder that holds one sub-folder per class.")
    if labels == "inferred":
        subdirs = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None:
            if sorted(class_names) != sorted(subdirs) and set(class_names) - set(subdirs):
                raise ValueError(f"{who}: class_names {list(class_names)} do not match the "
                                 f"sub-directories {subdirs}.")
            subdirs = list(class_names)
        class_names = subdirs
    else:
        subdirs = [""]
    paths, ids = [], []
    for i, sub in enumerate(subdirs):
        root = os.path.join(directory, sub)
        found = []
        for dirpath, _, files in os.walk(root, followlinks=follow_links):
            found += [os.path.join(dirpath, f) for f in sorted(files)
                      if f.lower().endswith(extensions)]
        found.sort()
        paths += found
        ids += [i] * len(found)
    if labels not in ("inferred", None):
        labels = list(labels)
        if len(labels) != len(paths):
            raise ValueError(f"{who}: {len(labels)} labels were given for {len(paths)} files "
                             f"in {directory!r}.\nhint: give one label per file, in the "
                             f"sorted order of the file paths.")
        ids = labels
    return paths, (None if labels is None else ids), class_names or []


def _prepare(directory, labels, label_mode, class_names, extensions, shuffle, seed,
             validation_split, subset, follow_links, verbose, who):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(f"{who}: labels must be 'inferred', None or a list of labels, got "
                         f"{labels!r}.")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"{who}: label_mode must be 'int', 'categorical', 'binary' or None, "
                         f"got {label_mode!r}.")
    if labels is None:
        label_mode = None
    if validation_split is not None and subset not in ("training", "validation", "both"):
        raise ValueError(f"{who}: with validation_split, subset must be 'training', "
                         f"'validation' or 'both', got {subset!r}.\nhint: subset='training'.")
    if subset is not None and validation_split is None:
        raise ValueError(f"{who}: subset={subset!r} needs validation_split.")
    if validation_split is not None and shuffle and seed is None:
        raise ValueError(f"{who}: a validation_split with shuffling needs a seed, so that "
                         f"training and validation subsets do not overlap.\nhint: seed=1337.")
    paths, ids, names = _index(directory, labels, class_names, extensions, follow_links, who)
    if label_mode == "binary" and len(names) != 2 and labels == "inferred":
        raise ValueError(f"{who}: label_mode='binary' needs exactly 2 classes, found "
                         f"{len(names)}: {names}.\nhint: use label_mode='int' or "
                         f"'categorical'.")
    if verbose:
        print(f"Found {len(paths)} files belonging to {len(names)} classes.")
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        order = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[i] for i in order]
        ids = None if ids is None else [ids[i] for i in order]
    splits = []
    n_val = int(validation_split * len(paths)) if validation_split else 0
    for part in (["training", "validation"] if subset == "both" else [subset]):
        if part == "training":
            sl = slice(0, len(paths) - n_val)
        elif part == "validation":
            sl = slice(len(paths) - n_val, len(paths))
        else:
            sl = slice(0, len(paths))
        if verbose and part is not None:
            print(f"Using {sl.stop - sl.start} files for {part}.")
        splits.append((paths[sl], None if ids is None else ids[sl]))
    return splits, names, label_mode, seed


def _labels(ids, label_mode, num_classes):
    if label_mode == "int":
        return np.asarray(ids, np.int32)
    if label_mode == "binary":
        return np.asarray(ids, np.float32).reshape(-1, 1)
    return np.eye(max(num_classes, 1), dtype=np.float32)[np.asarray(ids, np.int64)]


def _finish(ds, paths, ids, label_mode, names, batch_size, shuffle, seed):
    if label_mode is not None:
        labels = tf.data.Dataset.from_tensor_slices(_labels(ids, label_mode, len(names)))
        ds = tf.data.Dataset.zip((ds, labels))
    if shuffle:
        ds = ds.shuffle(buffer_size=(batch_size or 1) * 8, seed=seed)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    ds.class_names = names
    ds.file_paths = paths
    return ds


def _decoder(channels):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("image_dataset_from_directory decodes images with Pillow, which "
                          "is not installed.\nhint: pip install pillow") from None

    def decode(path):
        path = np.asarray(path).item()
        with Image.open(path.decode() if isinstance(path, bytes) else str(path)) as im:
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)  # the first frame of an animated GIF
            return np.asarray(im.convert(_PIL_MODES[channels]), np.uint8).reshape(
                im.size[1], im.size[0], channels)
    return decode


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """A dataset of (images, labels) batches from `directory/<class>/<image files>`.

    Images (bmp, gif, jpeg, png) are decoded to `color_mode` channels ("grayscale", "rgb",
    "rgba") and resized to `image_size` (float32), cropping or padding to the aspect ratio
    first when asked. Labels follow `label_mode`: "int", "categorical" (one-hot), "binary"
    (float, shape (batch, 1)) or None. The dataset has `class_names` and `file_paths`.
    With `subset="both"` it returns (training, validation).
    """
    who = "image_dataset_from_directory"
    if color_mode not in _CHANNELS:
        raise ValueError(f"{who}: color_mode must be 'grayscale', 'rgb' or 'rgba', got "
                         f"{color_mode!r}.")
    channels = _CHANNELS[color_mode]
    decode = _decoder(channels)
    splits, names, label_mode, seed = _prepare(
        directory, labels, label_mode, class_names, IMAGE_EXTENSIONS, shuffle, seed,
        validation_split, subset, follow_links, verbose, who)
    height, width = (int(v) for v in image_size)

    def load(path):
        image = tf.numpy_function(decode, [path], tf.uint8)
        image = tf.ensure_shape(image, [None, None, channels])
        return _resize(image, height, width, interpolation, crop_to_aspect_ratio,
                       pad_to_aspect_ratio)

    out = []
    for paths, ids in splits:
        ds = tf.data.Dataset.from_tensor_slices(np.array(paths, dtype=object)).map(load)
        if data_format == "channels_first":
            ds = ds.map(lambda im: tf.transpose(im, [2, 0, 1]))
        out.append(_finish(ds, paths, ids, label_mode, names, batch_size, shuffle, seed))
    return tuple(out) if subset == "both" else out[0]


def _resize(image, height, width, interpolation, crop, pad):
    """One decoded image to (height, width), as Keras' Resizing with the same options."""
    if crop or pad:
        h, w = tf.shape(image)[0], tf.shape(image)[1]
        if crop:
            ch = tf.minimum(h, tf.cast(tf.cast(w * height, tf.float32) / width, tf.int32))
            cw = tf.minimum(w, tf.cast(tf.cast(h * width, tf.float32) / height, tf.int32))
            ch, cw = tf.maximum(ch, 1), tf.maximum(cw, 1)
            top, left = (h - ch) // 2, (w - cw) // 2
            image = tf.slice(image, tf.stack([top, left, 0]), tf.stack([ch, cw, -1]))
        else:
            ph = tf.maximum(h, tf.cast(tf.cast(w * height, tf.float32) / width, tf.int32))
            pw = tf.maximum(w, tf.cast(tf.cast(h * width, tf.float32) / height, tf.int32))
            top, left = (ph - h) // 2, (pw - w) // 2
            image = tf.pad(image, tf.stack([tf.stack([top, top]), tf.stack([left, left]),
                                             tf.constant([0, 0])]))
    return tf.image.resize(image, [height, width], method=interpolation)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None,
                                shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """A dataset of (texts, labels) batches from `directory/<class>/<.txt files>`: each text
    is the file's bytes (cut to `max_length` bytes when given); labels as in
    `image_dataset_from_directory`."""
    who = "text_dataset_from_directory"
    splits, names, label_mode, seed = _prepare(
        directory, labels, label_mode, class_names, (".txt",), shuffle, seed,
        validation_split, subset, follow_links, verbose, who)
    out = []
    for paths, ids in splits:
        texts = np.empty(len(paths), object)
        for i, p in enumerate(paths):
            with open(p, "rb") as f:
                data = f.read()
            texts[i] = data if max_length is None else data[:max_length]
        ds = tf.data.Dataset.from_tensor_slices(texts)
        out.append(_finish(ds, paths, ids, label_mode, names, batch_size, shuffle, seed))
    return tuple(out) if subset == "both" else out[0]
