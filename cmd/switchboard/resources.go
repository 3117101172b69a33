package main

// The resource commands, one map of verbs per resource; each command is a
// thin layer over one SDK method.

var (
	endpointCommands = map[string]apiCommand{}
	numberCommands   = map[string]apiCommand{}
	callCommands     = map[string]apiCommand{}
	webhookCommands  = map[string]apiCommand{}
	deliveryCommands = map[string]apiCommand{}
	keyCommands      = map[string]apiCommand{}
	trunkCommands    = map[string]apiCommand{}
)
