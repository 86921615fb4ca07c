import { Module } from '@nestjs/common';
import { StorageModule } from 'src/storage/storage.module';
import { ApiController } from 'src/api/api.controller';
import { ApiService } from 'src/api/api.service';
import { HealthController } from 'src/api/health.controller';
import { ScrapeController } from 'src/scrape/scrape.controller';
import { ScrapeService } from 'src/scrape/scrape.service';
import { StatusPageController } from 'src/api/status-page.controller';

@Module({
  imports: [StorageModule],
  controllers: [ApiController, HealthController, ScrapeController, StatusPageController],
  providers: [ApiService, ScrapeService],
})
export class ApiModule {}
