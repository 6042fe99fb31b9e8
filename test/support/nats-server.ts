export { PrivateNats, freePort, natsServerBinary } from '../../gate-sim/src/private-nats';
