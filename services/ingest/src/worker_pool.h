// A fixed set of threads running queued tasks, with a bounded queue.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dyad::ingest {

class WorkerPool {
 public:
  WorkerPool(int threads, std::size_t max_queued);
  // Runs the tasks still queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (task dropped) when the queue is full or the pool is shutting down.
  // Never blocks: safe on a gRPC reactor thread.
  bool TrySubmit(std::function<void()> task);
  // Queues `task`, waiting while the queue is full; false when the pool is shutting down.
  bool Submit(std::function<void()> task);
  // Waits until every queued and running task finished.
  void Drain();
  // Stops accepting tasks, runs those queued and joins the threads. Idempotent.
  void Shutdown();

 private:
  void Run();

  const std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable space_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace dyad::ingest
