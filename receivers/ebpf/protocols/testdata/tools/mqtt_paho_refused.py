import sys, time
import paho.mqtt.client as mqtt
port = int(sys.argv[1]); v5 = sys.argv[2] == "5"
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sonde-refused", protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311)
c.username_pw_set("alice", "wrong")
res = []
c.on_connect = lambda cl, u, f, rc, p: res.append(str(rc))
c.connect("127.0.0.1", port)
c.loop_start(); time.sleep(1); c.loop_stop()
print("connack", res)
