import { Module } from '@nestjs/common';
import { StorageModule } from 'src/storage/storage.module';
import { GroupCache } from 'src/scrape/group-cache.service';
import { ScrapeController } from 'src/scrape/scrape.controller';
import { ScrapeService } from 'src/scrape/scrape.service';

/** `GET /metrics` and the in-memory copy of the store (GroupCache) every reader of groups shares. */
@Module({
  imports: [StorageModule],
  controllers: [ScrapeController],
  providers: [ScrapeService, GroupCache],
  exports: [GroupCache],
})
export class ScrapeModule {}
