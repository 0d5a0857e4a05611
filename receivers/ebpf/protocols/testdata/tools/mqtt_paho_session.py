import sys, time
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

port = int(sys.argv[1]); v5 = sys.argv[2] == "5"
proto = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
got = []
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sonde-" + sys.argv[2], protocol=proto)
c.on_message = lambda cl, u, m: got.append((m.topic, m.qos))
c.connect("127.0.0.1", port, keepalive=1)
c.loop_start()
time.sleep(0.3)
c.subscribe([("sensors/#", 1), ("secret/x", 0)] if not v5 else [("sensors/#", mqtt.SubscribeOptions(qos=2)), ("secret/x", mqtt.SubscribeOptions(qos=0))])
time.sleep(0.3)
props = None
if v5:
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    props.ContentType = "text/plain"
c.publish("sensors/temp", b"21.5", qos=0, properties=props).wait_for_publish()
c.publish("sensors/temp", b"21.6", qos=1, properties=props).wait_for_publish()
c.publish("sensors/hum", b"40" * 100, qos=2, properties=props).wait_for_publish()
c.publish("secret/x", b"nope", qos=1).wait_for_publish()
time.sleep(1.8)  # keepalive 1 s: a PINGREQ goes out
c.unsubscribe("sensors/#")
time.sleep(0.3)
c.disconnect()
c.loop_stop()
print("received", got)
