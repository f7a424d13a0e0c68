package goldenmapkeys

import rego.v1

# golden-map-keys
violation contains {"msg": msg, "details": {"rule": "golden-map-keys"}} if {
	applies
	subject := _subject
	some key in _list0(subject)
	is_string(key)
	startswith(key, "container.apparmor.security.beta.kubernetes.io/")
	not _holds1(subject, key)
	not _holds2(subject, key)
	msg := trim_space(concat("", ["annotation ", _value3(key), " sets an AppArmor profile that is not allowed"]))
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

# The pod the rules read: the Pod itself, or the pod template of a controller.
_subject := input.review.object if input.review.object.kind == "Pod"
_subject := object.get(object.get(input.review.object, "spec", {}), "template", {}) if input.review.object.kind in {
	"Deployment",
	"StatefulSet",
	"DaemonSet",
	"ReplicaSet",
	"Job",
}
_subject := object.get(
	object.get(object.get(object.get(input.review.object, "spec", {}), "jobTemplate", {}), "spec", {}),
	"template",
	{},
) if input.review.object.kind in {"CronJob"}

_list0(subject) := x if {
	m := subject.metadata.annotations
	is_object(m)
	x := sort(object.keys(m))
} else := []

_holds1(subject, key) if {
	subject.metadata.annotations[key] == ["runtime/default", ""][_]
}

_holds2(subject, key) if {
	is_string(subject.metadata.annotations[key])
	startswith(subject.metadata.annotations[key], "localhost/")
}

_value3(key) := _format(x) if {
	x := key
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)
