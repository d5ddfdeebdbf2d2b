export type { AppId, ChannelName, SocketId, UserId } from '../../protocol/types.js';

/** One Herald process in the cluster. */
export type NodeId = string;
