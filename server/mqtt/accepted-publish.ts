// The last step of every MQTT publish (PUBLISH packets and will messages) once the write
// entitlement and write filter accepted it: store or clear it if retained, then route it.
import type { Message } from '../delivery/message.js';
import type { MqttContext } from './mqtt-context.js';

export function routeAcceptedPublish(ctx: MqttContext, message: Message, payload: Buffer): void {
  // Stored only once entitled; delivered live even when the retained store is full.
  if (message.retain) ctx.retained.retain(message.topic, payload, message.qos, message.mqttProperties);
  ctx.stats.messagesPublished++;
  ctx.stats.deliveries += ctx.router.publish(message);
}
