package goldenexceptions

import rego.v1

# golden-exceptions
violation contains {"msg": msg, "details": {"rule": "golden-exceptions"}} if {
	applies
	subject := _subject
	subject.spec.hostNetwork == true
	msg := "Disallow host networking"
}

# Whether the policy applies to the review (operation, precondition, no exception); every violation requires it.
applies if {
	_operation_matches
	not _exempt
}

# Exceptions (golden-conjunction, golden-names): the policy does not apply where one holds.
_exempt if {
	concat("/", [input.review.kind.group, input.review.kind.kind]) in {"/Pod"}
	object.get(input.review, ["namespace"], "") in {"monitoring"}
	_exception0_name
	object.get(_object, ["metadata", "labels", "app.kubernetes.io/part-of"], null) in {"observability"}
	not object.get(_object, ["metadata", "labels", "tier"], null) in {"web"}
	_exception0_subject
}
_exempt if {
	concat("/", [input.review.kind.group, input.review.kind.kind]) in {"apps/DaemonSet"}
	object.get(_object, ["metadata", "name"], "") in {"node-exporter", "kube-proxy"}
}

_exception0_name if regex.match("^probe-.$", object.get(_object, ["metadata", "name"], ""))
_exception0_name if regex.match("^agent-.*$", object.get(_object, ["metadata", "name"], ""))

_exception0_subject if object.get(input.review, ["userInfo", "username"], "") in {
	"alice",
	"system:serviceaccount:flux-system:kustomize-controller",
}
_exception0_subject if {
	some group in object.get(input.review, ["userInfo", "groups"], [])
	group in {"acme:sre"}
}

# DELETE requests carry the object in oldObject.
_object := input.review.oldObject if input.review.operation == "DELETE"
_object := input.review.object if input.review.operation != "DELETE"
_object := input.review.object if not input.review.operation

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE", "DELETE"}

# The pod the rules read: the Pod itself, or the pod template of a controller.
_subject := _object if _object.kind == "Pod"
_subject := object.get(object.get(_object, "spec", {}), "template", {}) if _object.kind in {
	"Deployment",
	"StatefulSet",
	"DaemonSet",
	"ReplicaSet",
	"Job",
}
_subject := object.get(
	object.get(object.get(object.get(_object, "spec", {}), "jobTemplate", {}), "spec", {}),
	"template",
	{},
) if _object.kind in {"CronJob"}
