# Label selectors as Kubernetes matches them (policyc's kube/labels.ts and its CEL read them alike).
# A set of labels that is missing (null) is empty; anything but a map matches nothing.
_label_set(l) := {} if is_null(l)

_label_set(l) := l if is_object(l)

# Every pair of the map is among the labels.
_pairs_hold(m, l) if {
	every k, x in m {
		l[k] == x
	}
}
