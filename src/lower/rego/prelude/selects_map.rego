# A plain map of labels (a Service's spec.selector): not empty, and every pair among the labels.
_selects_map(s, labels) if {
	is_object(s)
	count(s) > 0
	_pairs_hold(s, _label_set(labels))
}
