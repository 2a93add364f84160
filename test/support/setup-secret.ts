import { useTokenSecret } from '../../core/shared/tokens'

// In-process tests hash staff tokens with a fixed key; a Gaizao child process chooses its own at start.
useTokenSecret('test-secret-for-hashing-staff-tokens-0000')
