// The `l2hmc` command-line tool: a thin shell around L2HMCCLI.
import L2HMCCLI

L2HMCCommand.main()
