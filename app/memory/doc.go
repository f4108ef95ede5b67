// Package memory holds what every conversation store shares: the rule that turns a read session
// and new messages into the session to write (Apply). Adapters live in subpackages (filestore,
// memstore, s3store) and all pass the contract test in storetest.
package memory
