import asyncio, sys
import nats
async def main(port):
    try:
        await nats.connect(f"nats://alice:wrong@127.0.0.1:{port}", allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)
    except Exception as e:
        print("refused:", type(e).__name__, e)
asyncio.run(main(int(sys.argv[1])))
