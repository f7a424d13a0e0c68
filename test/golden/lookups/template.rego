package goldenlookups

import rego.v1

# isolated
violation contains {"msg": msg, "details": {"rule": "isolated"}} if {
	applies
	subject := _subject
	not _holds3(subject)
	msg := "no baseline NetworkPolicy selects the pods"
}

# exposed
violation contains {"msg": msg, "details": {"rule": "exposed"}} if {
	applies
	subject := _subject
	not _holds7(subject)
	msg := "no Service of the Deployment's name selects its pods"
}

# unique-name
violation contains {"msg": msg, "details": {"rule": "unique-name"}} if {
	applies
	subject := _subject
	_any8(subject)
	msg := "another Deployment has this name"
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

_subject := input.review.object

_list1 := x if {
	ns_ := object.get(input.review, "namespace", "")
	is_string(ns_)
	ns_ != ""
	x := [item_ | some item_ in data.inventory.namespace[ns_]["networking.k8s.io/v1"]["NetworkPolicy"]; item_.metadata.labels["policy.acme.io/kind"] == "baseline"]
} else := []

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

# A LabelSelector: every matchLabels pair and every matchExpressions requirement holds; {} selects every set.
_selects_labels(s, labels) if {
	is_object(s)
	l := _label_set(labels)
	_match_labels_hold(object.get(s, "matchLabels", null), l)
	_match_expressions_hold(object.get(s, "matchExpressions", null), l)
}

_match_labels_hold(m, _) if is_null(m)

_match_labels_hold(m, l) if {
	is_object(m)
	_pairs_hold(m, l)
}

_match_expressions_hold(r, _) if is_null(r)

_match_expressions_hold(r, l) if {
	is_array(r)
	every e in r {
		_requirement_holds(e, l)
	}
}

_requirement_holds(e, l) if {
	_requirement(e)
	e.operator == "In"
	_within(e, l)
}

_requirement_holds(e, l) if {
	_requirement(e)
	e.operator == "NotIn"
	not _within(e, l)
}

_requirement_holds(e, l) if {
	_requirement(e)
	e.operator == "Exists"
	e.key in object.keys(l)
}

_requirement_holds(e, l) if {
	_requirement(e)
	e.operator == "DoesNotExist"
	not e.key in object.keys(l)
}

_requirement(e) if {
	is_object(e)
	is_string(e.key)
}

_within(e, l) if {
	is_array(e.values)
	some x in e.values
	x == l[e.key]
}

_value2(subject) := x if {
	x := subject.spec.template.metadata.labels
} else := null

_any0(subject) if {
	some networkPolicy in _list1
	_selects_labels(networkPolicy.spec.podSelector, _value2(subject))
}

_holds3(subject) if {
	_any0(subject)
}

_list5(subject) := x if {
	ns_ := object.get(input.review, "namespace", "")
	is_string(ns_)
	ns_ != ""
	x := [item_ | some item_ in data.inventory.namespace[ns_]["v1"]["Service"]; item_.metadata.name == subject.metadata.name]
} else := []

# A plain map of labels (a Service's spec.selector): not empty, and every pair among the labels.
_selects_map(s, labels) if {
	is_object(s)
	count(s) > 0
	_pairs_hold(s, _label_set(labels))
}

_value6(subject) := x if {
	x := subject.spec.template.metadata.labels
} else := null

_any4(subject) if {
	some service in _list5(subject)
	_selects_map(service.spec.selector, _value6(subject))
}

_holds7(subject) if {
	_any4(subject)
}

# the object under review, which a lookup leaves out
_under_review10(x) if {
	x.metadata.name == object.get(input.review, "name", "")
	object.get(x.metadata, "namespace", "") == object.get(input.review, "namespace", "")
}

_list9 := x if {
	x := [item_ | item_ := data.inventory.namespace[_]["apps/v1"]["Deployment"][_]; not _under_review10(item_)]
} else := []

_any8(subject) if {
	some deployment in _list9
	deployment.metadata.name == subject.metadata.name
}
