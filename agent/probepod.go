package agent

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProbePodPrefix starts the name of every probe Pod.
const ProbePodPrefix = "rampart-probe-"

// ProbePod is the short-lived Pod that probes, from node, the containers
// with the given runtime IDs (rampart node-agent probe): each report is
// a line of its log. image is the node agent's.
//
// It holds what entering a container and taking on its layers needs, and
// for no longer than the probes take: the host's PID namespace, to find
// the container's process and its runtime shim; privileged, for every
// capability (a container's set cannot be handed on from a smaller one),
// no seccomp filter (its own would be inherited on top of the
// container's) and no AppArmor profile. It has no service account token,
// no host network and no volume, is ended by the kubelet after two
// minutes and one more per container, and is deleted by whoever created
// it. The long-running agent
// never holds any of this.
func ProbePod(namespace, node, image string, ids, only []string) *corev1.Pod {
	args := []string{"/usr/local/bin/rampart", "node-agent", "probe"}
	if len(only) > 0 {
		args = append(args, "--only", strings.Join(only, ","))
	}
	args = append(args, ids...)
	// A probe takes seconds, more on a slow node: a minute each and two
	// to start, after which the kubelet ends the Pod whatever it does.
	deadline := int64(120 + 60*len(ids))
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: ProbePodPrefix, Namespace: namespace,
			Labels: map[string]string{"app.kubernetes.io/name": "rampart-probe", "app.kubernetes.io/part-of": Name}},
		Spec: corev1.PodSpec{
			NodeName:                     node,
			HostPID:                      true,
			RestartPolicy:                corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:        &deadline,
			AutomountServiceAccountToken: ptr(false),
			EnableServiceLinks:           ptr(false),
			Tolerations:                  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:            "probe",
				Image:           image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         args,
				SecurityContext: &corev1.SecurityContext{
					Privileged:      ptr(true),
					RunAsUser:       ptr(int64(0)),
					SeccompProfile:  &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined},
					AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined},
				},
			}},
		},
	}
}
