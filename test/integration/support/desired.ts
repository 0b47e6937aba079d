// The desired state most workerd tests start from: the stand-in's account, tunnel and default
// profile, the team's rules and entries; and the other teams' entries the stand-in is seeded with.
import { DEFAULT_ACCOUNT_ID, DEFAULT_TUNNEL_ID } from '../../standins/cloudflare/seed.ts'

/** Other teams' entries in the stand-in's default profile (its seed), in their order. */
export const FOREIGN = [
	{ address: '10.8.0.0/16', description: 'Office VPN' },
	{ address: '172.16.0.0/12', description: 'Legacy datacenter - netops' },
	{ host: 'intranet.example.com' },
]

/** A tidegate.yaml for the stand-in's account, tunnel and default profile. */
export function desiredYaml(
	options: { rules?: string; entries?: string; extra?: string; policy?: string } = {},
): string {
	return `version: 1
owner: oceanid
tunnel:
  accountId: ${DEFAULT_ACCOUNT_ID}
  tunnelId: ${DEFAULT_TUNNEL_ID}
  ingress:
${
	options.rules ??
	`    - hostname: label.example.com
      service: http://label-studio-ls-app.apps.svc.cluster.local:8085
    - hostname: k3s.example.com
      service: https://kubernetes.default.svc:443
      originRequest: { noTLSVerify: true }`
}
splitTunnel:
  accountId: ${DEFAULT_ACCOUNT_ID}
  policy: ${options.policy ?? 'default'}
  include:
${
	options.entries ??
	`    - address: 10.42.0.0/16
      description: K8s Pod Network
    - address: 10.43.0.0/16
      description: K8s Service Network
      protected: true
    - address: 192.168.2.0/24
      description: Calypso GPU`
}
${options.extra ?? ''}`
}

/** The team's entries as tidegate writes them (owner suffix added), in the order they are added. */
export const OURS = [
	{ address: '10.42.0.0/16', description: 'K8s Pod Network - oceanid' },
	{ address: '10.43.0.0/16', description: 'K8s Service Network - oceanid' },
	{ address: '192.168.2.0/24', description: 'Calypso GPU - oceanid' },
]
