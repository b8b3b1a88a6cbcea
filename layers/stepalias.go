package layers

import "github.com/rampart-sec/rampart/layers/step"

// StepCommand is rampart's internal entry point for a step's fresh
// process (step.Command).
const StepCommand = step.Command

// StepRequest is one StepCommand line (step.Request).
type StepRequest = step.Request
