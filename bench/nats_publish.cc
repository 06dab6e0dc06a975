// nats_publish: the baseline for serve --publish. Publishes COUNT messages of
// SIZE bytes to a JetStream stream with the C client and prints messages/s
// and MB/s: one synchronous publish at a time, or with WINDOW > 0 at most
// WINDOW asynchronous publishes awaiting their acknowledgement (the
// publisher's own window, server/publisher.cc), the way `nats bench` does.
// With `exactly-once`, each message also carries what the publisher sends:
// a 64-hex-digit message id, expected-last-sequence = i, and the height and
// hash headers (so the server's deduplication and sequence check are paid).
// `nats_publish URL STREAM --delete` deletes a stream (the benchmark script
// removes each stream once measured, so that the next run does not share the
// disk with the write-back of earlier ones).
// Usage: nats_publish URL STREAM COUNT SIZE [WINDOW [exactly-once]]
//        nats_publish URL STREAM --delete
#include <nats/nats.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int delete_stream(const std::string& url, const std::string& stream) {
  natsConnection* nc = nullptr;
  if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK) {
    std::fprintf(stderr, "nats_publish: cannot connect to %s\n", url.c_str());
    return 1;
  }
  jsCtx* js = nullptr;
  natsConnection_JetStream(&js, nc, nullptr);
  jsErrCode jerr = jsErrCode(0);
  const natsStatus st = js_DeleteStream(js, stream.c_str(), nullptr, &jerr);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  if (st != NATS_OK) {
    std::fprintf(stderr, "nats_publish: cannot delete stream %s (JetStream error %d)\n", stream.c_str(), int(jerr));
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[3]) == "--delete") return delete_stream(argv[1], argv[2]);
  if (argc < 5 || argc > 7 || (argc == 7 && std::string(argv[6]) != "exactly-once")) {
    std::fprintf(stderr, "usage: nats_publish URL STREAM COUNT SIZE [WINDOW [exactly-once]]\n       nats_publish URL STREAM --delete\n");
    return 2;
  }
  const std::string url = argv[1], stream = argv[2], subject = stream + ".raw";
  const long count = std::atol(argv[3]), size = std::atol(argv[4]);
  const long window = argc >= 6 ? std::atol(argv[5]) : 0;
  const bool exactly_once = argc == 7;
  natsConnection* nc = nullptr;
  if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK) {
    std::fprintf(stderr, "nats_publish: cannot connect to %s\n", url.c_str());
    return 1;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  if (window > 0) {
    jo.PublishAsync.MaxPending = window;
    jo.PublishAsync.StallWait = 10000;
  }
  jsCtx* js = nullptr;
  natsConnection_JetStream(&js, nc, &jo);
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = stream.c_str();
  const char* subjects[1] = {subject.c_str()};
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = jsErrCode(0);
  if (js_AddStream(&si, js, &sc, nullptr, &jerr) != NATS_OK) {
    std::fprintf(stderr, "nats_publish: cannot create stream %s (JetStream error %d)\n", stream.c_str(), int(jerr));
    return 1;
  }
  jsStreamInfo_Destroy(si);
  std::vector<char> payload(size_t(size), 'x');
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < count; ++i) {
    payload[0] = char(i);
    if (exactly_once) {
      char id[65];
      std::snprintf(id, sizeof id, "%064lx", i);
      const std::string height = std::to_string(i);
      natsMsg* m = nullptr;
      natsMsg_Create(&m, subject.c_str(), nullptr, payload.data(), int(size));
      natsMsgHeader_Set(m, "Blockgate-Height", height.c_str());
      natsMsgHeader_Set(m, "Blockgate-Hash", id);
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = id;
      po.ExpectLastSeq = uint64_t(i);
      natsStatus st;
      if (window > 0) {
        st = js_PublishMsgAsync(js, &m, &po);
      } else {
        jsPubAck* ack = nullptr;
        st = js_PublishMsg(&ack, js, m, &po, &jerr);
        jsPubAck_Destroy(ack);
      }
      natsMsg_Destroy(m);
      if (st != NATS_OK) {
        std::fprintf(stderr, "nats_publish: publish %ld failed\n", i);
        return 1;
      }
      continue;
    }
    if (window > 0) {
      if (js_PublishAsync(js, subject.c_str(), payload.data(), int(size), nullptr) != NATS_OK) {
        std::fprintf(stderr, "nats_publish: async publish %ld failed\n", i);
        return 1;
      }
      continue;
    }
    jsPubAck* ack = nullptr;
    if (js_Publish(&ack, js, subject.c_str(), payload.data(), int(size), nullptr, &jerr) != NATS_OK) {
      std::fprintf(stderr, "nats_publish: publish %ld failed (JetStream error %d)\n", i, int(jerr));
      return 1;
    }
    jsPubAck_Destroy(ack);
  }
  if (window > 0) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    if (js_PublishAsyncComplete(js, &po) != NATS_OK) {
      std::fprintf(stderr, "nats_publish: not every publish was acknowledged\n");
      return 1;
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("nats_publish: %ld messages of %ld bytes (%s) in %.3f s: %.0f msg/s, %.1f MB/s\n", count, size,
              (std::string(window > 0 ? "window " + std::to_string(window) : "synchronous") +
               (exactly_once ? ", exactly-once" : ""))
                  .c_str(),
              s, double(count) / s,
              double(count) * double(size) / s / 1e6);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return 0;
}
