"""Scrapy peer for scripts/bench-crawl.sh: crawls the same generated site breadth first,
reading every response's Set-Cookie headers, and prints how many pages it fetched."""

import scrapy
from scrapy.linkextractors import LinkExtractor


class BenchSpider(scrapy.Spider):
    name = "bench"

    def __init__(self, start=None, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]
        self.links = LinkExtractor()
        self.pages = 0
        self.cookies = 0

    def parse(self, response):
        self.pages += 1
        self.cookies += len(response.headers.getlist("Set-Cookie"))
        for link in self.links.extract_links(response):
            yield response.follow(link, self.parse)

    def closed(self, reason):
        print(f"scrapy pages={self.pages} cookies={self.cookies} reason={reason}")
