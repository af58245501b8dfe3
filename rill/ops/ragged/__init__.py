"""RaggedTensor: the value type (`ragged_tensor`), indexing (`ragged_getitem`) and the
`tf.ragged` functions with the dispatch of public ops on ragged inputs (`ragged_ops`)."""
